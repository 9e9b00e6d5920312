"""The Redis connector against the local Redis (db 9, only keys this test made)."""

import secrets

import pytest

from datasets.connectors import PermanentError, SubjectKeys, TransientError, discover, erase, export
from datasets.connectors.base import keys_digest
from datasets.connectors.redis_store import escape_glob, subject_pattern
from tests.datasets.connectors.conftest import REDIS_DB, closed_port, make_location

URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
SEVEN = SubjectKeys(external_id="7")


@pytest.fixture
def shop(redis_client):
    """Keys of subjects 7, 70 and 8 under the test's prefix; returns the prefix."""
    prefix = redis_client.key_prefix
    redis_client.hset(f"{prefix}user:7:profile", mapping={"email": "seven@example.org", "name": "Seven", "plan": "gold"})
    redis_client.rpush(f"{prefix}user:7:cart", "sku-1", "sku-2")
    redis_client.hset(f"{prefix}user:70:profile", mapping={"email": "seventy@example.org", "name": "Seventy"})
    redis_client.set(f"{prefix}user:8:session", "token")
    return prefix


def location(prefix: str, pattern: str = "user:{key}:*", **values):
    return make_location(**{"kind": "redis", "url": URL, "key_pattern": prefix + pattern, "subject_key": "external_id", **values})


def test_discover_counts_the_subjects_keys_only(shop):
    assert discover(location(shop), SEVEN).records == 2
    assert discover(location(shop), SubjectKeys(external_id="9")).records == 0


def test_delete_unlinks_the_subjects_keys_with_evidence_and_reports_zero_the_second_time(shop, redis_client):
    erased = erase(location(shop), SEVEN, "delete")

    assert erased.records_affected == 2
    assert erased.keys_sha256 == keys_digest([f"{shop}user:7:cart", f"{shop}user:7:profile"])
    assert erased.rows_before - erased.rows_after == 2
    assert sorted(redis_client.scan_iter(match=f"{shop}*")) == [f"{shop}user:70:profile", f"{shop}user:8:session"]

    second = erase(location(shop), SEVEN, "delete")
    assert (second.records_affected, second.keys_sha256) == (0, keys_digest([]))


def test_anonymise_removes_the_named_hash_fields_and_reports_zero_the_second_time(shop, redis_client):
    hashes = location(shop, "user:{key}:profile", erasure_mode="anonymise", anonymise_fields=["email", "name"])

    erased = erase(hashes, SEVEN, "anonymise")

    assert erased.records_affected == 1
    assert erased.fields == ["email", "name"]
    assert redis_client.hgetall(f"{shop}user:7:profile") == {"plan": "gold"}
    assert redis_client.hgetall(f"{shop}user:70:profile") == {"email": "seventy@example.org", "name": "Seventy"}
    assert erase(hashes, SEVEN, "anonymise").records_affected == 0


def test_anonymising_a_pattern_that_matches_a_non_hash_is_refused_before_any_change(shop, redis_client):
    everything = location(shop, erasure_mode="anonymise", anonymise_fields=["email"])

    with pytest.raises(PermanentError) as raised:
        erase(everything, SEVEN, "anonymise")

    assert raised.value.message == (
        f"Key {shop}user:7:cart is a list, not a hash, so no field can be blanked in it: erase this location in delete"
        " mode, or narrow its key pattern to the hashes."
    )
    assert redis_client.hget(f"{shop}user:7:profile", "email") == "seven@example.org"


def test_glob_characters_in_the_identifier_match_only_themselves(shop, redis_client):
    for hostile in ("*", "7*", "?", "[0-9]", "7\\"):
        assert discover(location(shop), SubjectKeys(external_id=hostile)).records == 0
    redis_client.set(f"{shop}user:a*b:note", "literal star")

    assert erase(location(shop), SubjectKeys(external_id="a*b"), "delete").records_affected == 1
    assert redis_client.exists(f"{shop}user:7:profile", f"{shop}user:70:profile") == 2


def test_export_returns_each_key_with_its_type_and_value(shop):
    exported = export(location(shop), SEVEN)

    assert exported.records == [
        {"key": f"{shop}user:7:cart", "type": "list", "value": ["sku-1", "sku-2"]},
        {"key": f"{shop}user:7:profile", "type": "hash", "value": {"email": "seven@example.org", "name": "Seven", "plan": "gold"}},
    ]


def test_a_redis_server_that_does_not_answer_is_a_transient_error():
    port = closed_port()
    down = make_location(kind="redis", url=f"redis://:Pa55-secret@127.0.0.1:{port}/0", key_pattern="user:{key}", subject_key="external_id")

    with pytest.raises(TransientError) as raised:
        erase(down, SEVEN, "delete")

    assert raised.value.message == (
        f"The Redis server at 127.0.0.1:{port} did not answer (connection refused or timed out); Custos will try again."
    )


@pytest.fixture
def redis_user(redis_client):
    """A Redis ACL user with a password: (name, password); deleted afterwards."""
    name, password = f"custos-test-{secrets.token_hex(3)}", f"Right-{secrets.token_hex(6)}"
    redis_client.acl_setuser(name, enabled=True, passwords=[f"+{password}"], keys=["custos-test:*"], commands=["+@all"])
    yield name, password
    redis_client.acl_deluser(name)


def test_a_refused_redis_password_is_a_permanent_error_that_does_not_repeat_it(redis_user):
    name, _ = redis_user
    wrong = "Wrong-Pa55word-x9"
    refused = make_location(
        kind="redis", url=f"redis://{name}:{wrong}@127.0.0.1:6379/{REDIS_DB}", key_pattern="custos-test:{key}", subject_key="external_id"
    )

    with pytest.raises(PermanentError) as raised:
        discover(refused, SEVEN)

    assert raised.value.message == f"The password for user {name} was refused by the Redis server at 127.0.0.1:6379."
    assert wrong not in str(raised.value)


def test_a_redis_user_may_only_touch_its_own_keys(redis_user, redis_client):
    name, password = redis_user
    redis_client.acl_setuser(name, enabled=True, reset_keys=True, keys=["other:*"], commands=["+@all"])
    limited = make_location(
        kind="redis", url=f"redis://{name}:{password}@127.0.0.1:6379/{REDIS_DB}", key_pattern="custos-test:{key}", subject_key="external_id"
    )
    redis_client.set("custos-test:7", "x")
    try:
        with pytest.raises(PermanentError) as raised:
            erase(limited, SEVEN, "delete")
    finally:
        redis_client.delete("custos-test:7")

    assert raised.value.message == f"User {name} may not run the commands erasure needs on the Redis server at 127.0.0.1:6379."


def test_the_pattern_escapes_the_identifier():
    assert escape_glob("a*b?[c]\\") == "a\\*b\\?\\[c\\]\\\\"
    assert subject_pattern("user:{key}:*", "x*") == "user:x\\*:*"
    with pytest.raises(PermanentError):
        subject_pattern("user:*", "x")

