"""The base class of every API view.

Write an endpoint as::

    from compliance.api.base import ApiView

    class DatasetList(ApiView, generics.ListCreateAPIView):
        required_scopes = {"POST": ["registry:write"]}

and it is protected by default: authentication by API key or browser session
(anonymous: 401 with ``WWW-Authenticate: Bearer``), sessions that have not
passed MFA refused (403), API keys limited to their scopes (403 naming the
missing one) and throttled (429), errors in one JSON format
(``compliance.api.exceptions``). ``request.user`` is the User or the ApiKey;
pass it as the ``actor`` of services so the audit log names the key.
"""

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from compliance.accounts.middleware import mfa_not_required
from compliance.accounts.models import ApiKey
from compliance.api.permissions import HasScope

HTTP_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
THROTTLED = "Too many requests for this API key (limit: {rate})."


class ApiView(APIView):
    """An API endpoint: JSON in and out, answering 401/403/429 itself rather than redirecting.

    ``required_scopes`` maps HTTP methods to the scopes an API key needs for them
    (see ``compliance.api.permissions``). The view's ``permission_classes``
    (IsAuthenticated by default) apply on top of the scope check, which a view
    cannot switch off; sessions that have not passed MFA are refused by the
    authentication classes (``compliance.api.authentication``).
    """

    required_scopes: Mapping[str, list[str]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A misspelt scope or method would silently open or close the endpoint: refuse it at import.
        for method, scopes in cls.required_scopes.items():
            if method not in HTTP_METHODS:
                raise ImproperlyConfigured(f"{cls.__name__}.required_scopes: {method!r} is not an HTTP method.")
            unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
            if isinstance(scopes, str) or unknown:
                raise ImproperlyConfigured(
                    f"{cls.__name__}.required_scopes[{method!r}] must list scopes from {ApiKey.Scope.values}."
                )

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        # DRF already exempts its views from LoginRequiredMiddleware; said here too
        # because the API must never get the pages' redirects to the login or MFA
        # page: it answers 401 and 403 in JSON (authentication and permissions).
        return mfa_not_required(login_not_required(view))

    def get_permissions(self):
        return [HasScope(), *super().get_permissions()]

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):
            # Errors are JSON whatever the endpoint's own format (the schema's YAML, say).
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def throttled(self, request, wait):
        raise Throttled(wait, detail=THROTTLED.format(rate=settings.API_KEY_RATE))
