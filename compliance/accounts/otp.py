"""TOTP and backup-code mechanics shared by the device models and the MFA services."""

import hashlib
import hmac
import secrets
import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed safely
BACKUP_CODE_LENGTH = 10


def new_totp_seed() -> str:
    """Return a new 20-byte TOTP seed, hex-encoded (RFC 4226 recommends 160 bits)."""
    return secrets.token_hex(20)


def base32_secret(hex_seed: str) -> str:
    """Return the seed as the base32 text an authenticator app accepts."""
    return b32encode(unhexlify(hex_seed)).decode("ascii").rstrip("=")


def provisioning_uri(*, hex_seed: str, account: str, digits: int = 6, step: int = 30) -> str:
    """Return the otpauth:// URI encoded in the enrolment QR code."""
    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": base32_secret(hex_seed), "issuer": issuer, "digits": digits, "period": step})
    return f"otpauth://totp/{label}?{query}"


def totp_now(hex_seed: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """Return the code an authenticator shows at ``at`` (tests and the demo use it)."""
    totp = TOTP(unhexlify(hex_seed), step=step, digits=digits)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{digits}d}"


def verify_totp_device(device, token) -> bool:
    """Check ``token`` against ``device`` once: a time step is accepted at most once.

    Runs under a row lock so two requests carrying the same code cannot both pass.
    """
    token = str(token).strip().replace(" ", "")
    if not token.isdigit() or len(token) != device.digits:
        device.throttle_increment(commit=True)
        return False
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, _ = locked.verify_is_allowed()
        if not allowed:
            return False
        totp = TOTP(unhexlify(locked.encrypted_key), locked.step, 0, locked.digits, locked.drift)
        totp.time = time.time()
        # Only steps after the last accepted one count: this is what stops replay.
        if totp.verify(int(token), locked.tolerance, locked.last_t + 1):
            locked.last_t = totp.t()
            locked.drift = totp.drift
            locked.throttle_reset(commit=False)
            locked.set_last_used_timestamp(commit=False)
            locked.save()
            device.__dict__.update({"last_t": locked.last_t, "drift": locked.drift})
            return True
        locked.throttle_increment(commit=True)
        return False


def new_backup_codes(count: int) -> list[str]:
    return ["".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH)) for _ in range(count)]


def normalise_backup_code(code: str) -> str:
    return "".join(ch for ch in str(code).lower() if ch.isalnum())


def hash_backup_code(code: str) -> str:
    """Return the keyed hash stored for a backup code (HMAC-SHA256 under SECRET_KEY)."""
    key = hashlib.sha256(b"custos backup code|" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, normalise_backup_code(code).encode(), hashlib.sha256).hexdigest()


def format_backup_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def verify_backup_code(device, token) -> bool:
    """Spend one unused backup code of ``device`` matching ``token``; each works once."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False
    code_hash = hash_backup_code(token)
    with transaction.atomic():
        # Through the device's own codes (related name), so this module never imports the models that call it.
        spent = device.codes.filter(code_hash=code_hash, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    if spent:
        device.throttle_reset(commit=True)
        return True
    device.throttle_increment(commit=True)
    return False
