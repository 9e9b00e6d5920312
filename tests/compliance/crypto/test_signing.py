"""The integrity key: Ed25519 signatures over bytes, key ids, rotation through extra public keys, the public-key command."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from compliance import devkeys
from compliance.crypto import signing

OTHER_SEED = signing.new_signing_key()


def test_a_signature_verifies_under_the_active_key_and_names_it():
    signature = signing.sign(b"report bytes")

    assert signature.key_id == signing.active_key_id()
    assert len(signature.key_id) == 16
    signing.verify(b"report bytes", signature.signature, key_id=signature.key_id)


def test_a_changed_byte_is_refused_with_a_reason():
    signature = signing.sign(b"report bytes")

    with pytest.raises(signing.SignatureInvalid) as refused:
        signing.verify(b"report bytez", signature.signature, key_id=signature.key_id)

    assert str(refused.value) == (
        f"The signature does not match the data under key {signature.key_id}: the file was changed after it was signed."
    )


def test_a_signature_by_an_untrusted_key_is_refused_naming_the_trusted_ones(settings):
    signature = signing.sign(b"data")
    active_id = signature.key_id
    settings.SIGNING_KEY = OTHER_SEED

    with pytest.raises(signing.SignatureInvalid) as refused:
        signing.verify(b"data", signature.signature, key_id=active_id)

    new_id = signing.active_key_id()
    assert str(refused.value) == f"The signature was made by key {active_id}, which is not a trusted key here (trusted: {new_id})."


def test_after_a_rotation_the_old_public_key_in_the_extra_list_still_verifies(settings):
    old_signature = signing.sign(b"signed last year")
    old_public = signing.encode(signing.public_key_bytes(signing.signing_key().public_key()))
    settings.SIGNING_KEY = OTHER_SEED
    settings.SIGNING_PUBLIC_KEYS_EXTRA = [old_public]

    signing.verify(b"signed last year", old_signature.signature, key_id=old_signature.key_id)
    texts = signing.public_key_texts()
    assert [(key_id, active) for key_id, _, active in texts] == [(signing.active_key_id(), True), (old_signature.key_id, False)]


def test_a_seed_of_the_wrong_length_is_refused_at_load(settings):
    settings.SIGNING_KEY = signing.encode(b"short")

    with pytest.raises(ImproperlyConfigured, match="SIGNING_KEY decodes to 5 bytes; an Ed25519 seed is 32."):
        signing.sign(b"x")


def test_the_system_check_reports_a_broken_key(settings):
    from compliance.crypto.checks import check_signing_key

    settings.SIGNING_KEY = "not base64!"

    errors = check_signing_key(None)

    assert [(error.id, error.msg) for error in errors] == [("crypto.E003", "SIGNING_KEY is not URL-safe base64.")]


def test_development_keys_get_a_signing_key_of_their_own_once(tmp_path):
    first = devkeys.load_or_create_signing_key(tmp_path)
    again = devkeys.load_or_create_signing_key(tmp_path)

    assert first == again
    assert len(signing.load_private_key(first).public_key().public_bytes_raw()) == 32
    assert (tmp_path / devkeys.DEV_SIGNING_KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_signing_public_key_prints_the_public_half_and_its_id():
    out, err = io.StringIO(), io.StringIO()

    call_command("signing_public_key", stdout=out, stderr=err)

    public_key = signing.load_public_key(out.getvalue().strip())
    assert signing.key_id_for(public_key) == signing.active_key_id()
    assert err.getvalue().strip() == f"key id {signing.active_key_id()}"


def test_signing_public_key_generate_prints_a_usable_new_seed():
    out = io.StringIO()

    call_command("signing_public_key", "--generate", stdout=out)

    assert signing.load_private_key(out.getvalue().strip())
