"""API keys: creating (page and command), showing once, storing hashed, revoking, auditing."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from compliance.accounts import api_keys, services
from compliance.accounts.models import ApiKey, User
from compliance.accounts.roles import Role
from compliance.audit.actors import SYSTEM, describe_actor
from compliance.audit.models import AuditEvent
from tests.compliance.accounts.conftest import events
from tests.compliance.crypto.test_database_dump import dump_database
from tests.conftest import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

KEYS = "/accounts/api-keys/"
NEW_KEY = "/accounts/api-keys/new/"
VALID_SCOPES = (
    "consent:read, consent:write, erasure:write, erasure:approve, registry:write, training:write, staff_training:write, reports:read, reports:write"
)


@pytest.fixture
def dpo(client_for):
    return client_for(Role.DPO)


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser("admin", "admin@staff.example.org", DEFAULT_PASSWORD)
    return verified_client(admin), admin


def shown_key(response) -> str:
    """Return the key the page shows in its #api-key-plaintext element."""
    return re.search(r'id="api-key-plaintext">([^<]+)<', response.content.decode()).group(1).strip()


def create_key(**overrides) -> tuple[ApiKey, str]:
    arguments = {"actor": SYSTEM, "name": "nightly pipeline", "scopes": ["registry:write"]}
    arguments.update(overrides)
    return services.create_api_key(**arguments)


# --- the key itself ------------------------------------------------------------------------


def test_a_key_is_cus_and_forty_url_safe_characters_stored_as_its_sha256():
    key, plaintext = create_key()
    assert re.fullmatch(r"cus_[A-Za-z0-9_-]{40}", plaintext)
    assert key.prefix == plaintext[:8]
    assert key.key_hash == api_keys.hash_key(plaintext) and len(key.key_hash) == 64
    assert plaintext not in key.key_hash


def test_the_database_holds_the_keys_hash_and_never_the_key(dpo):
    client, _ = dpo
    from_page = shown_key(client.post(NEW_KEY, {"name": "from the page", "scopes": ["consent:read"]}))
    out = io.StringIO()
    call_command("create_api_key", "--name", "from the command", "--scopes", "consent:write", stdout=out)
    from_command = out.getvalue().splitlines()[-1]

    dump = dump_database()

    for plaintext in (from_page, from_command):
        assert api_keys.hash_key(plaintext) in dump, "the dump should cover the keys table"
        assert plaintext not in dump, "an API key is stored in clear"
        assert plaintext[8:] not in dump


def test_describe_actor_names_the_key():
    key, _ = create_key(name="shop back end")
    assert describe_actor(key) == ("api_key", str(key.pk), f"key shop back end ({key.prefix})")


# --- the service -----------------------------------------------------------------------------


def test_creating_a_key_is_audited_without_the_key(make_user):
    dpo_user = make_user(Role.DPO)
    key, plaintext = create_key(actor=dpo_user, scopes=["reports:read", "consent:read"])
    assert key.created_by == dpo_user
    assert key.scopes == ["consent:read", "reports:read"]  # in the catalogue's order
    [event] = events("api_key.created")
    assert (event.actor_type, event.actor_id) == ("user", str(dpo_user.pk))
    assert (event.target_type, event.target_id) == ("accounts.apikey", str(key.pk))
    assert event.data == {
        "name": "nightly pipeline",
        "prefix": key.prefix,
        "scopes": ["consent:read", "reports:read"],
        "expires_at": None,
    }
    assert plaintext not in str(event.data) and key.key_hash not in str(event.data)


def test_a_key_made_by_the_system_has_no_creator_and_the_system_as_actor():
    key, _ = create_key()
    assert key.created_by is None
    [event] = events("api_key.created")
    assert (event.actor_type, event.actor_label) == ("system", "system")


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        ({"name": "  "}, {"name": ["Give the key a name that says what uses it."]}),
        ({"scopes": []}, {"scopes": ["Choose at least one scope."]}),
        ({"scopes": ["registry:read"]}, {"scopes": [f"Unknown scope registry:read. Valid scopes: {VALID_SCOPES}."]}),
        ({"scopes": ["b", "a"]}, {"scopes": [f"Unknown scopes a, b. Valid scopes: {VALID_SCOPES}."]}),
        (
            {"expires_at": timezone.now() - timedelta(seconds=1)},
            {"expires_at": ["The expiry must be in the future."]},
        ),
    ],
)
def test_invalid_keys_are_refused_field_by_field(arguments, errors):
    with pytest.raises(services.ValidationError) as refused:
        create_key(**arguments)
    assert refused.value.message_dict == errors
    assert not ApiKey.objects.exists()


def test_two_active_keys_cannot_share_a_name_but_a_revoked_one_frees_it():
    key, _ = create_key()
    with pytest.raises(services.ValidationError) as refused:
        create_key()
    assert refused.value.message_dict == {
        "name": [
            "An active API key is already named “nightly pipeline”. Choose another name or revoke that key first."
        ]
    }
    services.revoke_api_key(actor=SYSTEM, key=key)
    replacement, _ = create_key()
    assert replacement.pk != key.pk


def test_revoking_is_audited_and_happens_once(make_user):
    dpo_user = make_user(Role.DPO)
    key, _ = create_key()
    revoked = services.revoke_api_key(actor=dpo_user, key=key)
    assert revoked.revoked_at is not None
    [event] = events("api_key.revoked")
    assert event.actor_id == str(dpo_user.pk) and event.target_id == str(key.pk)
    assert event.data == {"name": "nightly pipeline", "prefix": key.prefix}
    with pytest.raises(services.AccountActionRefused) as refused:
        services.revoke_api_key(actor=dpo_user, key=key)
    assert str(refused.value) == f"The key nightly pipeline ({key.prefix}) was already revoked."
    assert len(events("api_key.revoked")) == 1


# --- finding the key a request presents ----------------------------------------------------------


def test_find_usable_key_accepts_the_key_and_refuses_others_saying_why(frozen_time):
    key, plaintext = create_key(expires_at=api_keys.end_of_day(date(2025, 3, 10)))
    assert api_keys.find_usable_key(plaintext) == key

    for wrong in ("", "cus_short", plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"), "Bearer " + plaintext):
        with pytest.raises(api_keys.ApiKeyRefused) as refused:
            api_keys.find_usable_key(wrong)
        assert (str(refused.value), refused.value.reason, refused.value.key) == (
            "This API key is not valid.",
            "invalid",
            None,
        )

    frozen_time.move_to("2025-03-10 23:59:59+00:00")
    assert api_keys.find_usable_key(plaintext) == key  # through the last day (London is on GMT)
    frozen_time.move_to("2025-03-11 00:00:00+00:00")
    with pytest.raises(api_keys.ApiKeyRefused) as refused:
        api_keys.find_usable_key(plaintext)
    assert str(refused.value) == "This API key expired on 10 March 2025 23:59."
    assert refused.value.key == key

    services.revoke_api_key(actor=SYSTEM, key=key)
    with pytest.raises(api_keys.ApiKeyRefused) as refused:
        api_keys.find_usable_key(plaintext)
    assert str(refused.value) == "This API key was revoked on 11 March 2025 00:00."


# --- pages -----------------------------------------------------------------------------------------


def test_a_dpo_creates_a_key_and_sees_it_once(dpo):
    client, dpo_user = dpo
    form = client.get(NEW_KEY).content.decode()
    assert 'value="registry:write"' in form and "registry:write — Register datasets" in form

    response = client.post(
        NEW_KEY, {"name": "training pipeline", "scopes": ["registry:write", "training:write"], "expires_at": ""}
    )

    assert response.status_code == 200
    plaintext = shown_key(response)
    key = ApiKey.objects.get()
    assert key.key_hash == api_keys.hash_key(plaintext)
    assert (key.name, key.scopes, key.created_by, key.expires_at) == (
        "training pipeline",
        ["registry:write", "training:write"],
        dpo_user,
        None,
    )
    assert "no-store" in response["Cache-Control"]
    [event] = events("api_key.created")
    assert event.actor_id == str(dpo_user.pk)
    listing = client.get(KEYS).content.decode()
    assert key.prefix in listing and "training pipeline" in listing
    assert plaintext not in listing


def test_the_expiry_date_means_the_end_of_that_day(dpo):
    client, _ = dpo
    day = timezone.localdate() + timedelta(days=30)
    client.post(NEW_KEY, {"name": "temporary", "scopes": ["consent:read"], "expires_at": day.isoformat()})
    key = ApiKey.objects.get()
    assert timezone.localtime(key.expires_at).date() == day
    assert timezone.localtime(key.expires_at).time().isoformat() == "23:59:59"


def test_the_form_shows_each_mistake_and_creates_nothing(dpo):
    client, _ = dpo
    create_key(name="taken")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(NEW_KEY, {"name": "taken", "scopes": ["consent:read"], "expires_at": yesterday})
    content = response.content.decode()
    assert response.status_code == 200
    assert "An active API key is already named “taken”." in content
    assert "The expiry must be in the future." in content
    assert 'id="api-key-plaintext"' not in content

    response = client.post(NEW_KEY, {"name": "no scopes"})
    assert "This field is required." in response.content.decode()
    response = client.post(NEW_KEY, {"name": "bad scope", "scopes": ["everything"]})
    assert "Select a valid choice. everything is not one of the available choices." in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_revoking_from_the_list(admin_client):
    client, admin = admin_client
    key, _ = create_key()
    response = client.post(reverse("accounts:api_key_revoke", kwargs={"pk": key.pk}), follow=True)
    content = response.content.decode()
    assert f"The key nightly pipeline ({key.prefix}) is revoked." in content
    assert "Revoked" in content
    key.refresh_from_db()
    assert key.revoked_at is not None
    [event] = events("api_key.revoked")
    assert event.actor_id == str(admin.pk)

    response = client.post(reverse("accounts:api_key_revoke", kwargs={"pk": key.pk}), follow=True)
    assert f"The key nightly pipeline ({key.prefix}) was already revoked." in response.content.decode()
    assert client.post(reverse("accounts:api_key_revoke", kwargs={"pk": key.pk + 1})).status_code == 404


@pytest.mark.parametrize("role", [Role.COMPLIANCE_MANAGER, Role.AUDITOR, Role.DATA_STEWARD, Role.ML_ENGINEER])
def test_other_roles_cannot_see_or_revoke_keys(client_for, role):
    client, user = client_for(role)
    key, _ = create_key()
    assert client.get(KEYS).status_code == 403
    assert client.post(reverse("accounts:api_key_revoke", kwargs={"pk": key.pk})).status_code == 403
    assert ApiKey.objects.get().revoked_at is None
    assert "API keys" not in client.get(reverse("home")).content.decode()


def test_the_navigation_offers_api_keys_to_dpos(dpo):
    client, _ = dpo
    assert f'href="{KEYS}"' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_the_key_list_costs_a_fixed_number_of_queries(dpo, make_user, django_assert_max_num_queries, count):
    client, _ = dpo
    creator = make_user(Role.DPO)
    ApiKey.objects.bulk_create(
        [
            ApiKey(
                name=f"key {number:04d}",
                prefix=f"cus_{number:04d}",
                key_hash=f"{number:064d}",
                scopes=["consent:read"],
                created_by=creator if number % 2 else None,
            )
            for number in range(count)
        ]
    )
    with django_assert_max_num_queries(12):
        response = client.get(KEYS)
    assert response.status_code == 200
    assert response.content.decode().count('class="button-danger"') == min(count, 50)


# --- manage.py create_api_key ------------------------------------------------------------------------


def test_the_command_prints_the_key_alone_on_its_last_line():
    out = io.StringIO()
    call_command("create_api_key", "--name", "ci", "--scopes", "registry:write, consent:read", stdout=out)
    *before, last = out.getvalue().splitlines()
    key = ApiKey.objects.get()
    assert re.fullmatch(r"cus_[A-Za-z0-9_-]{40}", last)
    assert key.key_hash == api_keys.hash_key(last)
    assert key.scopes == ["consent:read", "registry:write"] and key.expires_at is None
    assert before == [
        f"Created key ci ({key.prefix}) with scopes consent:read, registry:write. "
        "Store the key now: it is not shown again."
    ]
    [event] = events("api_key.created")
    assert (event.actor_type, event.actor_label) == ("system", "manage.py create_api_key")


def test_the_command_takes_an_expiry_day():
    out = io.StringIO()
    day = (timezone.localdate() + timedelta(days=7)).isoformat()
    call_command("create_api_key", "--name", "ci", "--scopes", "consent:read", "--expires", day, stdout=out)
    assert f"working until the end of {day}" in out.getvalue()
    assert timezone.localtime(ApiKey.objects.get().expires_at).date().isoformat() == day


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scopes", "registry:write,registry:read"], f"Unknown scope registry:read. Valid scopes: {VALID_SCOPES}."),
        (["--scopes", ","], "Choose at least one scope."),
        (
            ["--scopes", "consent:read", "--expires", "31/12/2030"],
            "--expires must be a date as YYYY-MM-DD, not '31/12/2030'.",
        ),
        (["--scopes", "consent:read", "--expires", "2001-01-01"], "The expiry must be in the future."),
    ],
)
def test_the_command_refuses_bad_input_naming_the_problem(arguments, message):
    with pytest.raises(CommandError) as refused:
        call_command("create_api_key", "--name", "ci", *arguments, stdout=io.StringIO())
    assert str(refused.value) == message
    assert not ApiKey.objects.exists()
    assert not AuditEvent.objects.filter(action="api_key.created").exists()
