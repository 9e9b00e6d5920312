"""The API docs page in a real browser: Swagger UI renders the schema under the CSP."""

from compliance.accounts.roles import Role
from tests.conftest import verified_client
from tests.e2e.conftest import E2E

pytestmark = E2E


def test_swagger_ui_renders_the_schema_without_a_csp_violation(browser_page, live_server, make_user):
    client = verified_client(make_user(Role.DPO))
    session_cookie = client.cookies["sessionid"]
    page = browser_page.page
    page.context.add_cookies([{"name": "sessionid", "value": session_cookie.value, "url": live_server.url}])

    page.goto("/api/v1/docs/")

    page.locator(".swagger-ui .info .title").wait_for()
    assert "Custos API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator("#operations-me-me_retrieve").wait_for()
    assert browser_page.problems.messages == []
