"""Evidence files on disk: what a file is (by its bytes, not its name), safe display names, encrypted storage.

An upload is accepted only if its content is a PDF, a PNG or JPEG image, a
ZIP-based Office document (Word, Excel, PowerPoint), or UTF-8 text (plain,
CSV, JSON) that is not HTML or script. A known extension that disagrees with
the content is refused, naming both ("The file is HTML, not a PDF."), so a
page renamed ``.pdf`` never reaches an auditor's browser as a document.

Files are stored under ``settings.EVIDENCE_ROOT`` with a generated name (the
uploader's name never touches the file system), encrypted with the field
keyring (AES-256-GCM, the active key) and bound to the evidence's uid.
"""

import json
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from django.conf import settings

from compliance.crypto.keyring import get_keyring

MAX_DISPLAY_NAME = 255
SNIFF_BYTES = 4096
OFFICE_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a Word document"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "an Excel workbook"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "a PowerPoint presentation"),
}
# What each accepted extension claims the file is: (kind, how to name it in a message).
CLAIMED = {
    ".pdf": ("pdf", "a PDF"),
    ".png": ("png", "a PNG image"),
    ".jpg": ("jpeg", "a JPEG image"),
    ".jpeg": ("jpeg", "a JPEG image"),
    ".docx": ("office", "a Word document"),
    ".xlsx": ("office", "an Excel workbook"),
    ".pptx": ("office", "a PowerPoint presentation"),
    ".txt": ("text", "a text file"),
    ".csv": ("text", "a CSV file"),
    ".json": ("text", "a JSON file"),
}
ACCEPTED = "PDF, PNG, JPEG, Word/Excel/PowerPoint (.docx, .xlsx, .pptx), or UTF-8 text (.txt, .csv, .json)"
# Markup a browser would render or run, at the start of a "text" file or anywhere in it.
MARKUP_START = re.compile(rb"^\s*<(!doctype\s+html|html|head|body|script|svg|iframe|object|embed|\?xml|!--)", re.IGNORECASE)
MARKUP_ANYWHERE = re.compile(rb"<\s*(script|iframe|object|embed|svg)\b|javascript:", re.IGNORECASE)


class EvidenceFileRefused(ValueError):
    """The upload is not a file Custos accepts as evidence; the message says why, for the uploader."""


@dataclass(frozen=True)
class Sniffed:
    kind: str  # pdf | png | jpeg | office | text
    content_type: str
    description: str


def _office(content: bytes) -> Sniffed | None:
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, (content_type, description) in OFFICE_TYPES.items():
        if any(name.startswith(prefix) for name in names):
            return Sniffed("office", content_type, description)
    return None


def _text(content: bytes) -> Sniffed | None:
    if b"\x00" in content:
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        json.loads(text)
    except ValueError:
        return Sniffed("text", "text/plain", "a text file")
    return Sniffed("text", "application/json", "a JSON file")


def sniff(content: bytes) -> Sniffed | None:
    """Return what ``content`` is among the accepted types, or None (markup and unknown binaries)."""
    head = content[:SNIFF_BYTES]
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", "application/pdf", "a PDF")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png", "image/png", "a PNG image")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg", "image/jpeg", "a JPEG image")
    if head.startswith(b"PK\x03\x04"):
        return _office(content)
    if MARKUP_START.search(head) or MARKUP_ANYWHERE.search(content):
        return None
    return _text(content)


def _describe_refused(content: bytes) -> str:
    head = content[:SNIFF_BYTES]
    if MARKUP_START.search(head) or MARKUP_ANYWHERE.search(content):
        return "HTML" if re.search(rb"<\s*(!doctype\s+html|html|head|body|script)", head, re.IGNORECASE) else "markup or script"
    return "not a type accepted as evidence"


def check_content(*, content: bytes, name: str) -> Sniffed:
    """Return what the file is; raise EvidenceFileRefused when its bytes are not accepted or disagree with its name."""
    extension = Path(display_name(name)).suffix.lower()
    claimed = CLAIMED.get(extension)
    sniffed = sniff(content)
    if sniffed is None:
        what = _describe_refused(content)
        if what == "not a type accepted as evidence":
            raise EvidenceFileRefused(f"The file's content is not a type accepted as evidence. Upload {ACCEPTED}.")
        target = claimed[1] if claimed else "an accepted type"
        raise EvidenceFileRefused(f"The file is {what}, not {target}. Upload {ACCEPTED}.")
    if claimed and claimed[0] != sniffed.kind:
        raise EvidenceFileRefused(
            f"The file is {sniffed.description}, not {claimed[1]}: its name ends in {extension}. Rename it or upload the right file."
        )
    if sniffed.kind == "text" and extension == ".csv":
        return Sniffed("text", "text/csv", "a CSV file")
    return sniffed


def display_name(name: str) -> str:
    """Return ``name`` made safe to show and to offer as a download name: no path, no control characters.

    Only for display: the file system never sees it (``../../etc/passwd.pdf``
    becomes ``passwd.pdf``).
    """
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = re.sub(r"[^\w .()+,-]", "_", name).strip(" .")
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: MAX_DISPLAY_NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 16 else name[:MAX_DISPLAY_NAME]
    return name or "evidence"


def new_stored_name() -> str:
    """Return a fresh generated storage name, sharded by its first two characters."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}.enc"


def stored_path(stored_name: str) -> Path:
    """Return where a stored name lives; refuse anything that would leave EVIDENCE_ROOT."""
    root = Path(settings.EVIDENCE_ROOT).resolve()
    path = (root / stored_name).resolve()
    if root not in path.parents:
        raise ValueError(f"Stored name {stored_name!r} leaves EVIDENCE_ROOT.")
    return path


def _associated_data(uid) -> bytes:
    return f"controls.evidence:{uid}".encode()


def write_encrypted(*, stored_name: str, uid, content: bytes) -> None:
    """Encrypt ``content`` bound to ``uid`` and write it under ``stored_name`` (atomically: temporary file, rename)."""
    path = stored_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = get_keyring().encrypt(content, _associated_data(uid))
    temporary = path.with_suffix(".part")
    temporary.write_text(token, encoding="ascii")
    temporary.chmod(0o600)
    temporary.replace(path)


def read_decrypted(*, stored_name: str, uid) -> bytes:
    """Return the plaintext of a stored evidence file; raise FileNotFoundError or DecryptionError."""
    token = stored_path(stored_name).read_text(encoding="ascii")
    return get_keyring().decrypt(token, _associated_data(uid))


def remove(stored_name: str) -> None:
    stored_path(stored_name).unlink(missing_ok=True)
