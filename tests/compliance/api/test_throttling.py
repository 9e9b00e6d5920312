"""Each API key is limited to API_KEY_RATE requests; past it the API answers 429."""

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def test_the_default_rate_is_600_a_minute(settings):
    assert settings.API_KEY_RATE == "600/min"


def test_a_key_past_its_rate_gets_429_with_retry_after(settings, frozen_time, key_client):
    settings.API_KEY_RATE = "3/min"
    client, _ = key_client("consent:read")
    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]

    response = client.get(ME)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "detail": "Too many requests for this API key (limit: 3/min). Expected available in 60 seconds.",
        "code": "throttled",
    }


def test_the_limit_lifts_when_the_window_passes(settings, frozen_time, key_client):
    settings.API_KEY_RATE = "2/min"
    client, _ = key_client("consent:read")
    client.get(ME), client.get(ME)
    assert client.get(ME).status_code == 429
    frozen_time.shift(61)
    assert client.get(ME).status_code == 200


def test_each_key_has_its_own_count(settings, key_client):
    settings.API_KEY_RATE = "1/min"
    first, _ = key_client("consent:read", name="first")
    second, _ = key_client("consent:read", name="second")
    assert first.get(ME).status_code == 200
    assert first.get(ME).status_code == 429
    assert second.get(ME).status_code == 200


def test_the_count_spans_every_endpoint(settings, key_client):
    settings.API_KEY_RATE = "2/min"
    client, _ = key_client("consent:read")
    assert client.get(reverse("api:me")).status_code == 200
    assert client.get(reverse("api:schema")).status_code == 200
    assert client.get(reverse("api:root")).status_code == 429


def test_browser_sessions_are_not_throttled_by_the_key_rate(settings, client_for):
    settings.API_KEY_RATE = "1/min"
    client, _ = client_for(Role.DPO)
    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
