"""upsert_subject and reveal_identifiers: encrypted identifiers, normalisation, audit without identifiers."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from compliance.audit.models import AuditEvent
from compliance.crypto.blind_index import blind_index
from consent.models import DataSubject
from consent.services import reveal_identifiers, upsert_subject

pytestmark = pytest.mark.django_db


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_a_new_subject_is_stored_encrypted_and_normalised(dpo):
    result = upsert_subject(
        actor=dpo, external_id=" user-7 ", email="Jane.Doe@Example.COM", phone="+44 20 7946 0000", name="Jane Doe", jurisdiction="us-ca"
    )

    subject = DataSubject.objects.get(pk=result.subject.pk)
    assert result.created and result.changed == ("email", "phone", "name", "jurisdiction")
    assert subject.external_id == "user-7"
    assert (subject.email, subject.phone, subject.name) == ("jane.doe@example.com", "+442079460000", "Jane Doe")
    assert (subject.jurisdiction_country, subject.jurisdiction_region) == ("US", "CA")
    assert subject.email_index == blind_index("jane.doe@example.com", "email")
    assert subject.phone_index == blind_index("+442079460000", "phone")
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, phone, name FROM consent_datasubject WHERE id = %s", [subject.pk.hex])
        stored = cursor.fetchone()
    assert not any(clear in str(stored) for clear in ("jane", "Jane", "2079460000"))


def test_creation_is_audited_without_identifiers(dpo):
    subject = upsert_subject(actor=dpo, external_id="user-7", email="jane@example.com", phone="+442079460000", name="Jane Doe").subject

    (event,) = _events("subject.created")
    assert event.target_id == str(subject.pk)
    assert event.data == {"external_id": "user-7", "fields": ["email", "phone", "name"], "regime": "policy"}
    assert not any(clear in json.dumps(event.data) for clear in ("jane", "Jane", "2079460000"))


def test_an_update_changes_only_the_fields_given_and_names_them(dpo, subject):
    result = upsert_subject(actor=dpo, external_id="user-1", phone="+44 20 7946 0001")

    subject.refresh_from_db()
    assert not result.created and result.changed == ("phone",)
    assert subject.email == "jane.doe@example.com" and subject.phone == "+442079460001"
    assert _events("subject.updated")[-1].data == {"external_id": "user-1", "changed": ["phone"]}


def test_an_empty_string_clears_a_field(dpo, subject):
    upsert_subject(actor=dpo, external_id="user-1", name="")

    subject.refresh_from_db()
    assert subject.name is None


def test_the_same_values_again_write_nothing(dpo, subject):
    before = AuditEvent.objects.count()

    result = upsert_subject(actor=dpo, external_id="user-1", email="JANE.DOE@example.com", jurisdiction="GB")

    assert result.changed == ()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "This is not an email address: it has no @."),
        ("email", "jane@localhost", "This is not an email address: give it as name@example.org."),
        ("phone", "call me", "This is not a phone number Custos can read: give it in international form, for example +44 20 7946 0000."),
        ("phone", "+44 1", "This is not a phone number Custos can read: give it in international form, for example +44 20 7946 0000."),
        ("jurisdiction", "Narnia", "'Narnia' is not a jurisdiction: give an ISO 3166-1 country code such as GB, DE or FR, with the state for the United States, such as US-CA or US-NY."),
    ],
)
def test_values_that_cannot_be_normalised_are_refused_by_field(dpo, field, value, message):
    with pytest.raises(ValidationError) as refused:
        upsert_subject(actor=dpo, external_id="user-9", **{field: value})

    assert refused.value.message_dict == {field: [message]}
    assert not DataSubject.objects.exists()


def test_an_empty_external_id_is_refused(dpo):
    with pytest.raises(ValidationError) as refused:
        upsert_subject(actor=dpo, external_id="   ")

    assert refused.value.message_dict == {"external_id": ["Give the subject's external id."]}


def test_a_dpo_reveals_identifiers_and_it_is_audited(dpo, subject):
    revealed = reveal_identifiers(actor=dpo, subject=subject)

    assert revealed == {"email": "jane.doe@example.com", "phone": "+442079460000", "name": "Jane Doe"}
    (event,) = _events("subject.revealed")
    assert (event.actor_label, event.target_id) == ("dpo", str(subject.pk))
    assert event.data == {"external_id": "user-1", "fields": ["email", "phone", "name"]}


@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_managers_and_auditors_may_never_reveal(request, who, subject):
    with pytest.raises(PermissionDenied):
        reveal_identifiers(actor=request.getfixturevalue(who), subject=subject)

    assert not _events("subject.revealed")
