"""The ``.sig`` file beside a report: a detached Ed25519 signature over the PDF's bytes, in small JSON.

::

    {
      "format": "custos-report-signature/1",
      "report": {"id": 12, "uid": "3f0c…"},
      "sha256": "<hex of the PDF>",
      "size": 123456,
      "algorithm": "Ed25519",
      "key_id": "<16 hex: SHA-256 of the public key, truncated>",
      "public_key": "<URL-safe base64 of the 32-byte public key>",
      "signature": "<URL-safe base64 of the 64-byte signature over the PDF's bytes>"
    }

The signature covers the PDF's bytes exactly as downloaded, nothing else, so
any Ed25519 tool verifies it with the public key alone. The ``report`` and
``sha256`` fields are conveniences for people; ``verify_files`` also checks
that the PDF itself names the same report (its file identifier, which the
signature covers, is ``custos-report:<id>:<uid hex>``). ``public_key`` says which
key signed; the verifier trusts only the keys it was given, never this field.

Reading and checking these files needs no database: ``verify_report`` runs offline.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from compliance.crypto import signing

FORMAT = "custos-report-signature/1"
IDENTIFIER_PREFIX = "custos-report"
# WeasyPrint writes the first half of the file identifier into the (uncompressed) trailer: /ID [(<ours>) (<digest>)].
IDENTIFIER_IN_PDF = re.compile(rb"/ID \[\(custos-report:(\d+):([0-9a-f]{32})\)")


class SignatureFileInvalid(Exception):
    """The report or its signature file does not verify; the message says what is wrong, for a person."""


@dataclass(frozen=True)
class Verified:
    """What a successful verification established."""

    report_id: int
    report_uid: str
    sha256: str
    key_id: str


def pdf_identifier(*, report_id: int, report_uid: str) -> bytes:
    """Return the PDF file identifier naming the report: ``custos-report:<id>:<uid hex>``."""
    return f"{IDENTIFIER_PREFIX}:{report_id}:{report_uid.replace('-', '')}".encode("ascii")


def build(*, report_id: int, report_uid: str, content: bytes, signature: signing.Signature) -> bytes:
    """Return the ``.sig`` file for the PDF ``content`` and its signature."""
    public_key = signing.public_keys()[signature.key_id]
    document = {
        "format": FORMAT,
        "report": {"id": report_id, "uid": report_uid},
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "algorithm": signing.ALGORITHM,
        "key_id": signature.key_id,
        "public_key": signing.encode(signing.public_key_bytes(public_key)),
        "signature": signature.signature,
    }
    return (json.dumps(document, indent=2) + "\n").encode("ascii")


def parse(raw: bytes) -> dict:
    """Return the fields of a ``.sig`` file; SignatureFileInvalid when it is not one."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SignatureFileInvalid("The signature file is not JSON: is it a Custos .sig file?") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SignatureFileInvalid(f"The signature file is not in the format {FORMAT}.")
    missing = [name for name in ("report", "sha256", "key_id", "signature") if not document.get(name)]
    if missing or not isinstance(document["report"], dict):
        raise SignatureFileInvalid(f"The signature file lacks {', '.join(missing) or 'the report'}.")
    if document.get("algorithm") != signing.ALGORITHM:
        raise SignatureFileInvalid(f"The signature file's algorithm is {document.get('algorithm')!r}, not Ed25519.")
    return document


def identifier_in_pdf(content: bytes) -> tuple[int, str] | None:
    """Return (report id, uid hex) from the PDF's file identifier, or None when it names no Custos report."""
    match = IDENTIFIER_IN_PDF.search(content[-4096:]) or IDENTIFIER_IN_PDF.search(content)
    if match is None:
        return None
    return int(match.group(1)), match.group(2).decode("ascii")


def verify_files(*, content: bytes, raw_signature: bytes, trusted: dict | None = None) -> Verified:
    """Check a PDF against its ``.sig`` under the trusted keys; return what it is, or raise SignatureFileInvalid."""
    document = parse(raw_signature)
    digest = hashlib.sha256(content).hexdigest()
    if digest != document["sha256"]:
        raise SignatureFileInvalid(
            f"The PDF does not match its signature file: its SHA-256 is {digest}, the signature file says "
            f"{document['sha256']}. The PDF was changed after it was signed, or the two files belong to different reports."
        )
    try:
        signing.verify(content, document["signature"], key_id=document["key_id"], trusted=trusted)
    except signing.SignatureInvalid as invalid:
        raise SignatureFileInvalid(str(invalid)) from None
    named = identifier_in_pdf(content)
    claimed_id, claimed_uid = document["report"].get("id"), str(document["report"].get("uid", "")).replace("-", "")
    if named is None:
        raise SignatureFileInvalid("The signature verifies, but the PDF does not name a Custos report in its identifier.")
    if named != (claimed_id, claimed_uid):
        raise SignatureFileInvalid(
            f"The signature verifies, but the PDF is report #{named[0]} and the signature file says #{claimed_id}."
        )
    return Verified(report_id=named[0], report_uid=str(document["report"]["uid"]), sha256=digest, key_id=document["key_id"])
