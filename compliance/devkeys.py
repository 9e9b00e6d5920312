"""Development keys: generated into ``var/`` on first run, never committed.

Production never reaches this module: settings refuse to start without
``SECRET_KEY``, ``FIELD_ENCRYPTION_KEYS`` and ``SIGNING_KEY`` in the environment.
"""

import base64
import os
import secrets
from pathlib import Path

DEV_KEYS_FILE = "dev-keys.env"
# Its own file, so a var/ made before the integrity key existed gains one without rewriting the others.
DEV_SIGNING_KEY_FILE = "dev-signing-key.env"


def new_field_encryption_key() -> str:
    """Return a new AES-256 key as URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def load_or_create(var_dir: Path) -> dict[str, str]:
    """Return the development SECRET_KEY and FIELD_ENCRYPTION_KEYS, creating them if absent."""
    return _load_or_create_file(
        var_dir / DEV_KEYS_FILE,
        lambda: {"SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEYS": new_field_encryption_key()},
    )


def load_or_create_signing_key(var_dir: Path) -> str:
    """Return the development SIGNING_KEY (URL-safe base64 of a 32-byte Ed25519 seed), creating it if absent."""
    # An Ed25519 seed is 32 random bytes, the same shape as a field-encryption key.
    values = _load_or_create_file(var_dir / DEV_SIGNING_KEY_FILE, lambda: {"SIGNING_KEY": new_field_encryption_key()})
    return values.get("SIGNING_KEY", "")


def _load_or_create_file(path: Path, make_values) -> dict[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        values = make_values()
        # Write to a temporary name and rename, so a second process starting at the
        # same moment (web server and worker) never reads a half-written file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.writelines(f"{name}={value}\n" for name, value in values.items())
        try:
            os.link(tmp, path)  # fails if another process won the race; keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        if name:
            values[name.strip()] = value.strip()
    return values
