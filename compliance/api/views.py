"""The API's own endpoints: the endpoint list, who am I, the OpenAPI schema and its docs page."""

import re

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from compliance.api.authentication import VerifiedSessionAuthentication
from compliance.api.base import ApiView
from compliance.api.serializers import EndpointListSerializer, MeSerializer

PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def endpoint_routes(patterns, prefix: str) -> dict[str, str]:
    """Return URL name → route for the named patterns, path parameters written as ``{name}``."""
    found = {}
    for pattern in patterns:
        route = prefix + PATH_PARAMETER.sub(r"{\1}", str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            found |= endpoint_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found[pattern.name] = route
    return found


class ApiRootView(ApiView):
    """List the API's endpoints."""

    @extend_schema(responses=EndpointListSerializer, summary="List the API's endpoints")
    def get(self, request):
        _, api = get_resolver().namespace_dict["api"]
        endpoints = endpoint_routes(api.url_patterns, reverse("api:root"))
        endpoints.pop("root")
        return Response({"endpoints": dict(sorted(endpoints.items()))})


class MeView(ApiView):
    """Say who is calling, so a pipeline can test its key."""

    @extend_schema(responses=MeSerializer, summary="Who is calling: the API key and its scopes, or the user")
    def get(self, request):
        return Response(MeSerializer.describe(request.user))


class SchemaView(ApiView, SpectacularAPIView):
    """The OpenAPI 3 schema: YAML by default, JSON with ``?format=json``."""

    permission_classes = [IsAuthenticated]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI for the schema: a page for signed-in people (the login and MFA middleware apply).

    The split variant serves its start-up script as a separate response, and the
    template loads Swagger UI from the sidecar's static files, so the page needs
    no inline script or style and nothing from a CDN.
    """

    authentication_classes = [VerifiedSessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []
    url_name = "api:schema"
    template_name = "api/swagger_ui.html"
    title = "Custos API"

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        # DRF marks its views login_not_required; this one is a page, so it takes
        # the pages' redirects to the login and MFA pages instead.
        view.login_required = True
        return view
