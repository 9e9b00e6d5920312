"""What a connector raises: retry later, give up with a reason, or "this store is not keyed by what the request gives".

Every message is written for the DPO reading a failed erasure step: it says
what went wrong and where, and never carries a password, a key or a
connection URL (connectors build messages from redacted parts only).
"""

import errno


class ConnectorError(Exception):
    """A store could not be read or changed; ``message`` says why, without secrets."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransientError(ConnectorError):
    """A failure that may pass by itself (store down, timeout, lock held): try again later."""


class PermanentError(ConnectorError):
    """A failure that trying again will not fix (wrong password, missing table, bad path): a person must act."""


class NotApplicable(Exception):
    """The location is keyed by an identifier the request does not give, so it cannot be searched for this subject."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# OSError numbers that say "the store is busy or briefly away", as opposed to "this cannot work".
TRANSIENT_ERRNOS = frozenset(
    {
        errno.EAGAIN,
        errno.EBUSY,
        errno.EINTR,
        errno.ETIMEDOUT,
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ESTALE,
        errno.ENOLCK,
    }
)


def os_error(error: OSError, *, what: str) -> ConnectorError:
    """Return the connector error for ``error`` raised while touching ``what`` (a path or an address)."""
    if isinstance(error, FileNotFoundError):
        return PermanentError(f"{what} does not exist.")
    if isinstance(error, PermissionError):
        return PermanentError(f"Custos may not use {what}: permission denied.")
    if isinstance(error, IsADirectoryError):
        return PermanentError(f"{what} is a directory, not a file.")
    if error.errno == errno.ENOSPC:
        return TransientError(f"{what}: no space left on the device; Custos will try again.")
    if error.errno == errno.EROFS:
        return PermanentError(f"{what} is on a read-only file system.")
    reason = error.strerror or type(error).__name__
    if isinstance(error, TimeoutError | ConnectionError) or error.errno in TRANSIENT_ERRNOS:
        return TransientError(f"{what}: {reason.lower()}; Custos will try again.")
    return PermanentError(f"{what}: {reason.lower()}.")
