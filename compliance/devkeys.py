"""Development keys: generated into ``var/`` on first run, never committed.

Production never reaches this module: settings refuse to start without
``SECRET_KEY`` and ``FIELD_ENCRYPTION_KEYS`` in the environment.
"""

import base64
import os
import secrets
from pathlib import Path

DEV_KEYS_FILE = "dev-keys.env"


def new_field_encryption_key() -> str:
    """Return a new AES-256 key as URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def load_or_create(var_dir: Path) -> dict[str, str]:
    """Return the development SECRET_KEY and FIELD_ENCRYPTION_KEYS, creating them if absent."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / DEV_KEYS_FILE
    if not path.exists():
        values = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEYS": new_field_encryption_key(),
        }
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
