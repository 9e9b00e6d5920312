"""The check every API view makes: an API key holds the scopes the view needs for the method.

Views declare scopes per HTTP method::

    required_scopes = {"POST": ["registry:write"], "PATCH": ["registry:write"]}

A safe method (GET, HEAD, OPTIONS) that is not listed needs no scope; HEAD
follows GET. An unsafe method that is not listed is refused to every key, so a
new write endpoint never opens to keys by accident. Session users are not
checked for scopes: they act with their roles, which the view's selectors and
services check.
"""

from collections.abc import Mapping, Sequence

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from compliance.accounts.models import ApiKey

MISSING_SCOPE = "This API key lacks the scope {scopes}."
MISSING_SCOPES = "This API key lacks the scopes {scopes}."
METHOD_CLOSED_TO_KEYS = "API keys cannot use {method} on this endpoint."


def scopes_required(view, method: str) -> tuple[str, ...] | None:
    """Return the scopes a key needs for ``method`` on ``view``, or None if keys may not use it."""
    declared: Mapping[str, Sequence[str]] = getattr(view, "required_scopes", {})
    method = "GET" if method == "HEAD" else method
    if method in declared:
        return tuple(declared[method])
    if method in SAFE_METHODS or not hasattr(view, method.lower()):
        # Not listed and safe, or not handled at all: the view answers 405 next.
        return ()
    return None


class HasScope(BasePermission):
    """Refuse an API key that lacks a scope the view requires for the method, naming it."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        required = scopes_required(view, request.method)
        if required is None:
            raise PermissionDenied(METHOD_CLOSED_TO_KEYS.format(method=request.method))
        missing = [scope for scope in required if not key.has_scope(scope)]
        if missing:
            template = MISSING_SCOPE if len(missing) == 1 else MISSING_SCOPES
            raise PermissionDenied(template.format(scopes=", ".join(missing)))
        return True
