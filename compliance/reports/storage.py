"""Report files on disk: under ``settings.REPORTS_ROOT`` with generated names, outside the web root.

The PDF is stored as rendered (not encrypted, unlike evidence): it holds no
personal data in clear, and its bytes are what the signature and the sha256 in
the audit log are about, so a copy taken from disk verifies too.
"""

import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings


def new_stored_name() -> str:
    """Return a fresh generated storage name, sharded by its first two characters."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}.pdf"


def stored_path(stored_name: str) -> Path:
    """Return where a stored name lives; refuse anything that would leave REPORTS_ROOT."""
    root = Path(settings.REPORTS_ROOT).resolve()
    path = (root / stored_name).resolve()
    if root not in path.parents:
        raise ValueError(f"Stored name {stored_name!r} leaves REPORTS_ROOT.")
    return path


def write(*, stored_name: str, content: bytes) -> None:
    """Write ``content`` under ``stored_name`` atomically (temporary file in the same directory, then rename), mode 0600."""
    path = stored_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(stored_name: str) -> bytes:
    """Return the bytes of a stored report; FileNotFoundError when it is gone."""
    return stored_path(stored_name).read_bytes()


def remove(stored_name: str) -> None:
    """Delete a stored report if it exists."""
    stored_path(stored_name).unlink(missing_ok=True)
