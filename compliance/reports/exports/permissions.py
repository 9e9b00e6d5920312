"""Who may export a register: holders of any one of its model permissions (the roles of DESIGN.md)."""

from collections.abc import Callable
from typing import Any


def holds_any(*permissions: str) -> Callable[[Any], bool]:
    """Return a check that a signed-in ``user`` holds at least one of ``permissions``."""

    def check(user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and any(user.has_perm(name) for name in permissions)

    return check
