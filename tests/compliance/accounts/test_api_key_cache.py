"""A usable API key is remembered in the shared cache: requests cost no query for it, and revoking it is seen at once."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache

from compliance.accounts import api_keys, services
from compliance.audit.actors import SYSTEM
from compliance.audit.models import AuditEvent
from tests.compliance.api.conftest import bearer, frozen_time, make_key  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def test_a_cached_key_authenticates_without_a_query(make_key, django_assert_num_queries):
    _, plaintext = make_key(name="shop back end")
    client = bearer(plaintext)
    assert client.get(ME).status_code == 200  # reads the key, records its use, caches it

    with django_assert_num_queries(0):
        response = client.get(ME)
    assert response.json()["name"] == "shop back end"


def test_the_cached_key_is_the_audit_actor_of_what_it_does(make_key):
    key, plaintext = make_key("consent:write", name="consent platform")
    api_keys.authenticate(plaintext)
    cached = api_keys.authenticate(plaintext)
    assert cached == key and cached.pk == key.pk
    assert (cached.name, cached.scopes, cached.prefix, str(cached)) == (key.name, key.scopes, key.prefix, str(key))
    assert cached._state.adding is False


def test_a_revoked_key_is_refused_at_its_next_request(make_key, django_capture_on_commit_callbacks):
    key, plaintext = make_key()
    client = bearer(plaintext)
    assert client.get(ME).status_code == 200

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.revoke_api_key(actor=SYSTEM, key=key)
    assert len(callbacks) == 1  # forgotten again once the revocation commits

    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This API key was revoked on ")
    assert AuditEvent.objects.filter(action="api_key.refused").count() == 1


def test_a_cached_key_past_its_expiry_is_refused_and_audited(frozen_time, make_key):
    key, plaintext = make_key(expires_at=api_keys.end_of_day(date(2025, 3, 3)))
    client = bearer(plaintext)
    assert client.get(ME).status_code == 200
    frozen_time.move_to("2025-03-04 00:00:01+00:00")

    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["detail"] == "This API key expired on 3 March 2025 23:59."
    assert AuditEvent.objects.get(action="api_key.refused").target_id == str(key.pk)


def test_the_cache_keeps_a_key_for_a_minute_at_most(frozen_time, make_key, django_assert_num_queries):
    key, plaintext = make_key()
    api_keys.authenticate(plaintext)
    assert cache.get(api_keys.CACHE_PREFIX + key.key_hash)["pk"] == key.pk
    assert api_keys.CACHE_SECONDS <= 60

    # Last used is written once a minute, with the key read again when the cache has let it go.
    frozen_time.shift(timedelta(seconds=61))
    cache.delete(api_keys.CACHE_PREFIX + key.key_hash)
    with django_assert_num_queries(2):
        api_keys.authenticate(plaintext)
    key.refresh_from_db()
    assert key.last_used_at.isoformat() == "2025-03-03T09:01:01+00:00"


def test_an_unknown_key_is_never_cached(make_key):
    make_key()
    with pytest.raises(api_keys.ApiKeyRefused):
        api_keys.authenticate("cus_" + "A" * 40)
    assert cache.get(api_keys.CACHE_PREFIX + api_keys.hash_key("cus_" + "A" * 40)) is None
