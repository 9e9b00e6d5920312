"""verify_report offline: no database (these tests may not touch it: pytest-django blocks it), the public key alone."""

import hashlib
import io
import json
import uuid
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from compliance.crypto import signing
from compliance.reports import rendering, signature_file

REPORT = SimpleNamespace(pk=41, uid=uuid.UUID("0f6a3c1e-9d2b-4f0a-8c55-2b7e1d9a4c30"))


@pytest.fixture(scope="module")
def signed_pair():
    """A small PDF rendered as reports are (file identifier naming report #41), and its .sig."""
    html = "<html><head><title>Custos audit report #41</title></head><body><h1>Audit report</h1></body></html>"
    content = rendering.render_pdf(report=REPORT, html=html).content
    raw_signature = signature_file.build(
        report_id=REPORT.pk, report_uid=str(REPORT.uid), content=content, signature=signing.sign(content)
    )
    return content, raw_signature


def _run(tmp_path, content: bytes, raw_signature: bytes, *options: str) -> str:
    pdf, sig = tmp_path / "r.pdf", tmp_path / "r.pdf.sig"
    pdf.write_bytes(content)
    sig.write_bytes(raw_signature)
    out = io.StringIO()
    call_command("verify_report", str(pdf), str(sig), *options, stdout=out)
    return out.getvalue().strip()


def _public_key() -> str:
    return signing.encode(signing.public_key_bytes(signing.signing_key().public_key()))


def test_the_pair_verifies_without_a_database_and_names_the_report(tmp_path, signed_pair):
    content, raw_signature = signed_pair

    output = _run(tmp_path, content, raw_signature, "--public-key", _public_key())

    digest = json.loads(raw_signature)["sha256"]
    assert output == (
        f"Verified: Custos audit report #41 ({REPORT.uid}), SHA-256 {digest}, signed by key {signing.active_key_id()}."
    )


def test_a_changed_byte_fails_with_both_hashes(tmp_path, signed_pair):
    content, raw_signature = signed_pair
    changed = bytearray(content)
    changed[len(changed) // 2] ^= 0x01

    with pytest.raises(CommandError) as failed:
        _run(tmp_path, bytes(changed), raw_signature)

    message = str(failed.value)
    assert message.startswith("NOT VERIFIED: The PDF does not match its signature file: its SHA-256 is ")
    assert "The PDF was changed after it was signed, or the two files belong to different reports." in message


def test_a_changed_byte_with_a_matching_hash_still_fails_on_the_signature(tmp_path, signed_pair):
    content, raw_signature = signed_pair
    changed = bytearray(content)
    changed[len(changed) // 2] ^= 0x01
    document = json.loads(raw_signature)
    document["sha256"] = hashlib.sha256(bytes(changed)).hexdigest()  # a forger updates the hash too

    with pytest.raises(CommandError) as failed:
        _run(tmp_path, bytes(changed), json.dumps(document).encode())

    assert str(failed.value) == (
        f"NOT VERIFIED: The signature does not match the data under key {document['key_id']}: "
        "the file was changed after it was signed."
    )


def test_another_public_key_does_not_verify(tmp_path, signed_pair):
    content, raw_signature = signed_pair
    other = signing.load_private_key(signing.new_signing_key()).public_key()
    other_text = signing.encode(signing.public_key_bytes(other))

    with pytest.raises(CommandError) as failed:
        _run(tmp_path, content, raw_signature, "--public-key", other_text)

    key_id = json.loads(raw_signature)["key_id"]
    assert str(failed.value) == (
        f"NOT VERIFIED: The signature was made by key {key_id}, which is not a trusted key here "
        f"(trusted: {signing.key_id_for(other)})."
    )


def test_a_signature_file_claiming_another_report_is_refused(tmp_path, signed_pair):
    content, raw_signature = signed_pair
    document = json.loads(raw_signature)
    document["report"]["id"] = 7

    with pytest.raises(CommandError) as failed:
        _run(tmp_path, content, json.dumps(document).encode())

    assert str(failed.value) == "NOT VERIFIED: The signature verifies, but the PDF is report #41 and the signature file says #7."


def test_a_file_that_is_not_a_signature_file_is_named_so(tmp_path, signed_pair):
    content, _ = signed_pair

    with pytest.raises(CommandError, match="NOT VERIFIED: The signature file is not JSON: is it a Custos .sig file?"):
        _run(tmp_path, content, b"\x89PNG not json")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read the report .*missing\.pdf: No such file or directory\."):
        call_command("verify_report", str(tmp_path / "missing.pdf"), str(tmp_path / "missing.sig"))
