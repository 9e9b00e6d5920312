"""An access request's files at rest: encrypted parts per location, the encrypted ZIP, and what the ZIP holds.

Everything is written under ``settings.ACCESS_EXPORT_ROOT`` (outside the web
root), encrypted with AES-256-GCM under the request's own random key, which
is stored in ``AccessRequest.archive_key`` encrypted by the field keyring (so
key rotation re-wraps it and deleting it makes any copy of the files
unreadable). Each file is bound to its request and role by the associated
data, so a part cannot be passed off as another location's or the archive.
A file is ``nonce ‖ ciphertext ‖ tag``, written to a temporary name and
renamed, so a reader never sees half a file.

ZIP layout: ``summary.json`` (the request, its clocks and verification, and
per location its name, kind, dataset, records and fields, or why it was not
searched), ``README.txt`` (the same in plain words for the requester) and
``locations/NN-<dataset>-<location>.json`` with the subject's records.
"""

import base64
import hashlib
import io
import json
import os
import tempfile
import uuid
import zipfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

NONCE_BYTES = 12
KEY_BYTES = 32
# A fixed date for every entry, so the archive's bytes depend only on its contents.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class ArchiveUnreadable(Exception):
    """A stored file is missing, or does not decrypt for its request (tampered, or its key is gone)."""


def root() -> Path:
    return Path(settings.ACCESS_EXPORT_ROOT)


def new_key() -> str:
    """Return a fresh AES-256 key as URL-safe base64 text (to keep in ``archive_key``)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _aesgcm(key: str) -> AESGCM:
    return AESGCM(base64.urlsafe_b64decode(key.encode("ascii")))


def _associated_data(request, role: str) -> bytes:
    return f"custos-access:{request.uid}:{role}".encode()


def write_encrypted(request, *, role: str, content: bytes) -> str:
    """Encrypt ``content`` under the request's key, store it under a new random name, and return the name."""
    directory = root()
    directory.mkdir(parents=True, exist_ok=True)
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + _aesgcm(request.archive_key).encrypt(nonce, content, _associated_data(request, role))
    name = f"{uuid.uuid4().hex}.bin"
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(sealed)
    os.replace(temporary, directory / name)
    return name


def read_encrypted(request, *, role: str, name: str) -> bytes:
    """Return the decrypted content of the stored file ``name``; raise ArchiveUnreadable when it cannot be."""
    if not name or not request.archive_key:
        raise ArchiveUnreadable("The file or its key is gone.")
    try:
        sealed = (root() / name).read_bytes()
    except FileNotFoundError:
        raise ArchiveUnreadable(f"The file {name} is missing from ACCESS_EXPORT_ROOT.") from None
    try:
        return _aesgcm(request.archive_key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _associated_data(request, role)
        )
    except (InvalidTag, ValueError):
        raise ArchiveUnreadable(f"The file {name} does not decrypt for this request.") from None


def delete(name: str) -> None:
    """Remove a stored file; a file already gone is fine."""
    if name:
        (root() / name).unlink(missing_ok=True)


def part_role(result) -> str:
    return f"location:{result.location_id}"


ARCHIVE_ROLE = "archive"


# --- What the ZIP holds -------------------------------------------------------------------------


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def location_filename(position: int, result) -> str:
    location = result.location
    name = slugify(f"{location.dataset.name}-{location.name}")[:80] or "location"
    return f"locations/{position:02d}-{name}.json"


def summary(request, results, *, generated_at, expires_at, files: dict[int, str]) -> dict:
    """Return summary.json's content: the request, its clocks, verification, and every location's answer."""
    locations = []
    for result in results:
        location = result.location
        entry = {
            "name": location.name,
            "kind": location.kind,
            "dataset": location.dataset.name,
            "status": result.status,
        }
        if result.pk in files:
            entry.update(records=result.records_exported, fields=list(result.fields), file=files[result.pk])
        else:
            entry["reason"] = result.error
        locations.append(entry)
    return {
        "request": request.reference,
        "regulation": request.get_regulation_display(),
        "clause": request.clause,
        "received_at": _iso(request.received_at),
        "due_at": _iso(request.due_at),
        "generated_at": _iso(generated_at),
        "expires_at": _iso(expires_at),
        "verification": {
            "method": request.get_verification_method_display(),
            "verified_by": request.verified_by,
            "verified_at": _iso(request.verified_at),
        },
        "records": sum(entry.get("records", 0) for entry in locations),
        "locations": locations,
    }


def readme(content: dict) -> str:
    """Return README.txt: the summary in plain words for the person who asked."""
    lines = [
        f"Your personal data: answer to access request {content['request']}",
        "",
        f"You asked under {content['regulation']} ({content['clause']}) to know what personal data we hold about you.",
        f"We received your request on {content['received_at'][:10]} and had until {content['due_at'][:10]} to answer.",
        f"This archive was prepared on {content['generated_at'][:16].replace('T', ' ')} and holds "
        f"{content['records']} record(s) from {sum(1 for entry in content['locations'] if 'file' in entry)} place(s).",
        "",
        "Where we looked:",
    ]
    for entry in content["locations"]:
        where = f"- {entry['dataset']} / {entry['name']} ({entry['kind']}): "
        if "file" in entry:
            fields = ", ".join(entry["fields"]) or "no fields"
            lines.append(where + f"{entry['records']} record(s), with the fields {fields}; see {entry['file']}.")
        else:
            lines.append(where + f"not searched. {entry['reason']}")
    lines += [
        "",
        "Each file under locations/ is JSON: a list of your records as that place stores them.",
        "summary.json says the same as this page, for programs.",
    ]
    return "\n".join(lines) + "\n"


def _entry(archive: zipfile.ZipFile, name: str, content: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, content)


def _json(value) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False).encode() + b"\n"


def build_zip(request, results, *, records: dict[int, list], generated_at, expires_at) -> bytes:
    """Return the ZIP: summary.json, README.txt and one JSON file per location read (``records`` by result id)."""
    files = {}
    position = 0
    for result in results:
        if result.pk in records:
            position += 1
            files[result.pk] = location_filename(position, result)
    content = summary(request, results, generated_at=generated_at, expires_at=expires_at, files=files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _entry(archive, "summary.json", _json(content))
        _entry(archive, "README.txt", readme(content).encode())
        for result in results:
            if result.pk in files:
                _entry(archive, files[result.pk], _json(records[result.pk]))
    return buffer.getvalue()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
