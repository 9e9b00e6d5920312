"""Who is calling the REST API: an ``Authorization: Bearer <key>`` API key, or a browser session past MFA.

DRF exempts its views from Django's LoginRequiredMiddleware, and so from
MFARequiredMiddleware, which honours the same mark: the MFA rule for API
requests is enforced here instead, for every DRF view using the default
authentication classes.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from compliance.accounts import api_keys, selectors, services
from compliance.accounts.models import ApiKey

MALFORMED_HEADER = "Malformed Authorization header: send “Authorization: Bearer <key>”."
VERIFY_SECOND_FACTOR = "Verify your second factor first."


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate a request by the API key in its Authorization header.

    ``request.user`` and ``request.auth`` both become the ApiKey: a key acts with
    its scopes, not as the person who created it. Requests without a Bearer
    header are left to the next authenticator (the browser session).
    """

    keyword = "Bearer"

    def authenticate(self, request) -> tuple[ApiKey, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED_HEADER)
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(api_keys.INVALID_KEY) from None
        try:
            key = api_keys.authenticate(plaintext)
        except api_keys.ApiKeyRefused as refusal:
            if refusal.key is not None:
                services.record_api_key_refused(key=refusal.key, reason=refusal.reason)
            raise exceptions.AuthenticationFailed(str(refusal)) from None
        return key, key

    def authenticate_header(self, request) -> str:
        # Makes refusals 401 (with this challenge) rather than 403.
        return f'{self.keyword} realm="api"'


class VerifiedSessionAuthentication(SessionAuthentication):
    """A signed-in browser session (CSRF-checked for writes), refused with 403 until it has passed MFA."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and selectors.second_factor_pending(user=result[0]):
            raise exceptions.PermissionDenied(VERIFY_SECOND_FACTOR)
        return result


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe ApiKeyAuthentication in the OpenAPI schema as HTTP bearer authentication."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (cus_…) created by an administrator or DPO, with the scopes the endpoint needs.",
        }


class VerifiedSessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe VerifiedSessionAuthentication as drf-spectacular describes Django's session cookie."""

    target_class = VerifiedSessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
