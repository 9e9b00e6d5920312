"""Settings profiles and security defaults.

Production is exercised in subprocesses of manage.py with DJANGO_ENV=production,
since settings are read once per process; development in this process.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from compliance.accounts.roles import Role
from compliance.devkeys import new_field_encryption_key
from tests.factories import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_IN_PRODUCTION = ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "SIGNING_KEY", "ALLOWED_HOSTS", "DATABASE_URL"]
SIX_MONTHS = 15_552_000

# Variables settings.py reads, cleared so the machine's environment cannot leak in.
SETTINGS_VARIABLES = [
    *REQUIRED_IN_PRODUCTION,
    "DJANGO_ENV", "DJANGO_DEBUG", "CELERY_BROKER_URL", "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "BEHIND_TLS_PROXY", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE",
]


def _clean_env(tmp_path, **values: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    return {**env, "CUSTOS_VAR_DIR": str(tmp_path / "var"), **values}


def _production_env(tmp_path, **overrides: str) -> dict[str, str]:
    return _clean_env(
        tmp_path,
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=new_field_encryption_key(),
        SIGNING_KEY=new_field_encryption_key(),  # 32 random bytes: an Ed25519 seed
        ALLOWED_HOSTS="custos.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        **overrides,
    )


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _probe(env: dict[str, str], script: str) -> dict:
    """Run ``script`` in ``manage.py shell`` under ``env``; return the JSON it prints after RESULT."""
    completed = _manage(env, "shell", "--no-imports", "-c", script)
    assert completed.returncode == 0, completed.stderr
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


SETTINGS_PROBE = """
import json
from django.conf import settings as s
names = ["DEBUG", "SILENCED_SYSTEM_CHECKS", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
         "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE"]
print("RESULT", json.dumps({name: getattr(s, name) for name in names}))
"""

# /healthz needs no table, so the production process can answer it unmigrated.
HEADERS_PROBE = """
import json
from django.test import Client
client = Client()
secure = client.get("/healthz", secure=True, headers={"host": "custos.example.org"})
plain = client.get("/healthz", headers={"host": "custos.example.org"})
print("RESULT", json.dumps({"hsts": secure.headers.get("Strict-Transport-Security", ""),
                            "plain_status": plain.status_code, "plain_location": plain.headers.get("Location", "")}))
"""


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_without_its_secrets_and_hosts(tmp_path, missing):
    env = _production_env(tmp_path)
    del env[missing]

    completed = _manage(env, "check")

    assert completed.returncode != 0
    assert f"DJANGO_ENV=production needs these environment variables: {missing}." in completed.stderr


def test_an_unknown_environment_name_is_refused(tmp_path):
    completed = _manage(_clean_env(tmp_path, DJANGO_ENV="staging"), "check")

    assert completed.returncode != 0
    assert "DJANGO_ENV must be 'development' or 'production', not 'staging'." in completed.stderr


def test_production_passes_the_deploy_check_with_nothing_silenced(tmp_path):
    completed = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "System check identified no issues (0 silenced)." in completed.stdout


def test_production_settings_harden_transport_and_cookies(tmp_path):
    values = _probe(_production_env(tmp_path), SETTINGS_PROBE)

    assert values["DEBUG"] is False
    assert values["SILENCED_SYSTEM_CHECKS"] == []
    assert values["SECURE_HSTS_SECONDS"] >= SIX_MONTHS
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] in {"Lax", "Strict"}


def test_production_responses_carry_hsts_and_plain_http_is_redirected(tmp_path):
    answers = _probe(_production_env(tmp_path), HEADERS_PROBE)

    max_age = re.search(r"max-age=(\d+)", answers["hsts"])
    assert max_age and int(max_age.group(1)) >= SIX_MONTHS, answers["hsts"]
    assert "includeSubDomains" in answers["hsts"]
    assert answers["plain_status"] == 301
    assert answers["plain_location"] == "https://custos.example.org/healthz"


def test_development_debug_is_off_unless_asked(tmp_path):
    assert _probe(_clean_env(tmp_path), SETTINGS_PROBE)["DEBUG"] is False
    assert _probe(_clean_env(tmp_path, DJANGO_DEBUG="true"), SETTINGS_PROBE)["DEBUG"] is True


def _csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/no-such-page/"])
def test_every_response_carries_the_content_security_policy_and_safety_headers(client, path):
    response = client.get(path)

    csp = _csp(response)
    assert csp["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert csp[directive] == ["'self'"], f"{directive}: {csp[directive]}"
        assert "'unsafe-inline'" not in csp[directive] and "'unsafe-eval'" not in csp[directive]
    assert csp["default-src"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_pages_behind_login_are_never_stored_by_caches(client_for):
    client, _ = client_for(Role.DPO)

    response = client.get("/")

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_the_session_cookie_set_at_sign_in_is_http_only_and_same_site(client, make_user):
    user = make_user(Role.EMPLOYEE)

    response = client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
