"""Per-key request rate limit (setting API_KEY_RATE, for example "600/min")."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from compliance.accounts.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Limit each API key to API_KEY_RATE requests; browser sessions are not limited here.

    Counts live in Django's cache, so they are per process unless CACHES points
    at a shared cache.
    """

    scope = "api_key"

    def get_rate(self) -> str:
        # Read at each request rather than once at import, so the setting can change.
        return settings.API_KEY_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
