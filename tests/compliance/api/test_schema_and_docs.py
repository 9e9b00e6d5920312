"""The OpenAPI schema is valid; the docs page loads Swagger UI from our own static files with no inline code."""

import json
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from drf_spectacular.validation import validate_schema

from compliance.accounts.roles import Role

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/schema/"
DOCS = "/api/v1/docs/"


def test_the_schema_is_valid_openapi_in_yaml_and_json(key_client):
    client, _ = key_client("consent:read")
    as_yaml = client.get(SCHEMA)
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(as_yaml.content)
    validate_schema(document)

    as_json = client.get(SCHEMA, {"format": "json"})
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(as_json.content) == document


def test_the_schema_documents_bearer_keys_and_the_endpoints(client_for):
    client, _ = client_for(Role.DPO)
    document = yaml.safe_load(client.get(SCHEMA).content)
    assert document["info"]["title"] == "Custos API"
    assert document["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert {"/api/v1/", "/api/v1/me/"} <= set(document["paths"])
    assert document["paths"]["/api/v1/me/"]["get"]["security"] == [{"ApiKey": []}, {"cookieAuth": []}]


def test_generating_the_schema_gives_no_warning(tmp_path):
    """Every endpoint must describe itself: drf-spectacular's warnings fail this test."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    validate_schema(yaml.safe_load(target.read_text()))


class PageCode(HTMLParser):
    """Collect what a page would run or style: script elements, style elements and attributes, stylesheets."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.inline_script_text: list[str] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.event_handlers: list[str] = []
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes.append(tag)
        self.event_handlers += [name for name in attributes if name.startswith("on")]
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        elif tag == "style":
            self.style_elements += 1
        elif tag == "link":
            self.links.append(attributes.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script_text.append(data.strip())


def test_the_docs_page_needs_no_inline_script_or_style_and_nothing_from_a_cdn(client_for):
    client, _ = client_for(Role.AUDITOR)
    response = client.get(DOCS)
    assert response.status_code == 200
    page = PageCode()
    page.feed(response.content.decode())

    assert page.scripts, "the page should load Swagger UI"
    assert all(script.get("src") for script in page.scripts), "every <script> must have a src"
    assert page.inline_script_text == []
    assert page.style_elements == 0 and page.style_attributes == [] and page.event_handlers == []
    for url in [script["src"] for script in page.scripts] + page.links:
        assert url.startswith("/"), f"{url} is not served by Custos"

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_swagger_ui_comes_from_the_sidecars_static_files(client_for):
    client, _ = client_for(Role.DPO)
    page = PageCode()
    page.feed(client.get(DOCS).content.decode())
    sources = [script["src"] for script in page.scripts]
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        url = static(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}")
        assert url in sources
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), f"{asset} is not a static file"
    assert static("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css") in page.links
    assert finders.find("css/api-docs.css")


def test_the_start_up_script_is_a_separate_javascript_response(client_for):
    client, _ = client_for(Role.DPO)
    page = PageCode()
    page.feed(client.get(DOCS).content.decode())
    [own_script] = [script["src"] for script in page.scripts if script["src"].startswith(DOCS)]

    response = client.get(own_script)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert "SwaggerUIBundle(" in body and f'url: "{SCHEMA}"' in body


def test_the_docs_page_sends_signed_out_visitors_to_sign_in(client):
    response = client.get(DOCS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
