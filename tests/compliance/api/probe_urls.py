"""A URLconf for the API tests: the project's URLs plus probe endpoints written as a later part would write them.

Used with ``@pytest.mark.urls("tests.compliance.api.probe_urls")``. The probes
call real services and selectors; none is reachable in the running application.
"""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response

from compliance.accounts import selectors, services
from compliance.api.base import ApiView


class NewEndpoint(ApiView):
    """Declares nothing: what a new endpoint gets by default."""

    def get(self, request):
        return Response({"seen_by": str(request.user)})

    def post(self, request):
        return Response({"written_by": str(request.user)}, status=201)


class ScopedEndpoint(ApiView):
    required_scopes = {"GET": ["consent:read"], "POST": ["registry:write", "consent:write"]}

    def get(self, request):
        return Response({"read": True})

    def post(self, request):
        return Response({"written": True}, status=201)


class ProbeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    count = serializers.IntegerField(min_value=0)


class FailingEndpoint(ApiView):
    """Fails the ways endpoints fail: bad fields, a service's ValidationError, a missing object, a bug."""

    required_scopes = {"POST": ["consent:write"], "PUT": ["consent:write"]}

    def post(self, request):
        ProbeSerializer(data=request.data).is_valid(raise_exception=True)
        services.validate_api_key(name=request.data["name"], scopes=["no:such"], expires_at=None)
        return Response(status=204)

    def get(self, request):
        selectors.api_key_for_user(user=request.user, pk=request.query_params.get("pk", "x"))
        return Response(status=204)

    def put(self, request):
        raise RuntimeError("a bug, not the caller's fault")


urlpatterns = [
    path("api/v1/probe/new/", NewEndpoint.as_view(), name="probe_new"),
    path("api/v1/probe/scoped/", ScopedEndpoint.as_view(), name="probe_scoped"),
    path("api/v1/probe/failing/", FailingEndpoint.as_view(), name="probe_failing"),
    path("", include("compliance.urls")),
]
