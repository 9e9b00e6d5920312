import uuid

import pytest
from django.db import models
from django.test.utils import isolate_apps

from compliance.crypto.blind_index import (
    NormalisationError,
    blind_index,
    blind_index_candidates,
    normalise,
)
from compliance.crypto.fields import BlindIndexField, EncryptedTextField
from compliance.devkeys import new_field_encryption_key


def test_email_is_lower_cased_and_trimmed():
    assert blind_index("  Ada.Lovelace@Example.ORG ", "email") == blind_index("ada.lovelace@example.org", "email")


def test_phone_numbers_are_compared_in_e164():
    assert normalise("+44 20 7946 0000", "phone") == "+442079460000"
    assert blind_index("+44 (0)20 7946-0000", "phone") == blind_index("+442079460000", "phone")


def test_national_phone_numbers_use_the_default_region(settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    assert normalise("020 7946 0000", "phone") == "+442079460000"


def test_unparseable_phone_number_says_what_to_do(settings):
    settings.PHONE_DEFAULT_REGION = None
    with pytest.raises(NormalisationError, match="give it in international form"):
        normalise("020 7946 0000", "phone")


def test_index_is_truncated_hex_and_not_the_value():
    index = blind_index("ada@example.org", "email")
    assert len(index) == 32
    int(index, 16)
    assert "ada" not in index


def test_kinds_do_not_collide():
    assert blind_index("ada@example.org", "email") != blind_index("ada@example.org", "text")


def test_index_key_depends_on_the_encryption_keys(settings):
    before = blind_index("ada@example.org", "email")
    settings.FIELD_ENCRYPTION_KEYS = [new_field_encryption_key()]
    assert blind_index("ada@example.org", "email") != before


def test_candidates_cover_every_configured_key(settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    under_old = blind_index("ada@example.org", "email")
    settings.FIELD_ENCRYPTION_KEYS = [new_field_encryption_key(), old]
    candidates = blind_index_candidates("ada@example.org", "email")
    assert candidates[0] == blind_index("ada@example.org", "email")
    assert candidates[1] == under_old


@isolate_apps("compliance.crypto")
def test_blind_index_field_follows_its_source_field():
    class Contact(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        email = EncryptedTextField(null=True)
        email_index = BlindIndexField(source="email", kind="email")

        class Meta:
            app_label = "crypto"

    contact = Contact(email=" Ada@Example.org")
    field = Contact._meta.get_field("email_index")
    assert field.pre_save(contact, add=True) == blind_index("ada@example.org", "email")
    assert contact.email_index == blind_index("ada@example.org", "email")
    contact.email = None
    assert field.pre_save(contact, add=False) is None
