"""``POST /api/v1/training/statements/``: one xAPI statement per request, from an LMS holding ``staff_training:write``.

Answers, always JSON, never a 500 for bad input:

* 201 accepted: the completion is recorded;
* 200 a resubmission of an accepted statement id: nothing changed (idempotent);
* 400 malformed (not JSON, not an object, no UUID id, missing actor.mbox, verb.id or object.id);
* 409 a resubmission of a statement id that was rejected: send a corrected statement with a new id;
* 422 well-formed but refused: unsupported verb, unknown actor, unknown activity, failing score, not assigned.

Every statement with a valid id is stored with the outcome (see ``services.xapi``).
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from compliance.accounts.models import ApiKey
from compliance.api.base import ApiView
from compliance.staff_training.api.serializers import StatementAnswerSerializer
from compliance.staff_training.models import XapiStatement
from compliance.staff_training.services import MalformedStatement, StatementResult, receive_statement

WRITE = ApiKey.Scope.STAFF_TRAINING_WRITE.value
KEYS_ONLY = "Statements come from the learning system with an API key holding staff_training:write, not from a signed-in session."


class ApiKeysOnly(BasePermission):
    """Only API keys post statements: a person records training on the pages, where it is checked and audited as theirs."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        raise PermissionDenied(KEYS_ONLY)


def _answer(result: StatementResult) -> Response:
    statement = result.statement
    body = {
        "statement": str(statement.statement_id),
        "status": statement.status,
        "duplicate": result.duplicate,
        "course": statement.course.code if statement.course_id else None,
    }
    received = f"{timezone.localtime(statement.received_at):%Y-%m-%d %H:%M}"
    if result.duplicate and result.accepted:
        body.update(
            detail=f"Statement {statement.statement_id} was already received on {received} and accepted; nothing changed.",
            code="duplicate",
        )
        return Response(body, status=status.HTTP_200_OK)
    if result.duplicate:
        body.update(
            detail=(
                f"Statement {statement.statement_id} was received on {received} and rejected: {statement.reason} "
                "Send a corrected statement with a new id."
            ),
            code="duplicate",
        )
        return Response(body, status=status.HTTP_409_CONFLICT)
    if result.accepted:
        body.update(detail="Accepted: the completion is recorded.", code="accepted")
        return Response(body, status=status.HTTP_201_CREATED)
    body.update(detail=statement.reason, code=statement.problem)
    malformed = statement.problem == XapiStatement.Problem.MALFORMED
    return Response(body, status=status.HTTP_400_BAD_REQUEST if malformed else status.HTTP_422_UNPROCESSABLE_ENTITY)


EXAMPLE = {
    "id": "6b0d3d6e-3f0b-4d5e-9a59-2b7f3c1e9a10",
    "actor": {"objectType": "Agent", "mbox": "mailto:ann.lee@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-GB": "passed"}},
    "object": {"id": "https://lms.example.org/courses/dp-basics", "objectType": "Activity"},
    "result": {"score": {"scaled": 0.9}, "success": True, "completion": True},
    "timestamp": "2026-03-02T10:15:00Z",
}


class StatementView(ApiView):
    """Receive one xAPI statement."""

    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, ApiKeysOnly]
    required_scopes = {"POST": [WRITE]}

    @extend_schema(
        summary="Record a training completion from an xAPI statement",
        description=(
            "API keys need staff_training:write (training:write, for ML training runs, does not grant it). "
            "Send one statement as a JSON object with a UUID id; verbs http://adlnet.gov/expapi/verbs/completed "
            "and .../passed; the actor's mbox (mailto:) is the employee's work email; object.id is the course's "
            "xAPI activity id; result.score.scaled (or raw within min and max, or a raw percentage) must reach the "
            "course's passing score. 201 accepted; 200 the same id again (nothing changed); 400 malformed; "
            "409 the same id as a rejected statement; 422 refused (unsupported verb, unknown actor or activity, "
            "failing score, not assigned). Rejected statements are kept with the reason."
        ),
        request=OpenApiTypes.OBJECT,
        examples=[OpenApiExample("A passed course", value=EXAMPLE, request_only=True)],
        responses={
            201: StatementAnswerSerializer,
            200: OpenApiResponse(StatementAnswerSerializer, description="The same statement id again: nothing changed."),
            400: OpenApiResponse(StatementAnswerSerializer, description="Malformed statement."),
            409: OpenApiResponse(StatementAnswerSerializer, description="The id of a rejected statement."),
            422: OpenApiResponse(StatementAnswerSerializer, description="Refused: the detail says why."),
        },
    )
    def post(self, request):
        try:
            result = receive_statement(api_key=request.auth, payload=request.data)
        except MalformedStatement as exc:
            return Response({"detail": str(exc), "code": "malformed"}, status=status.HTTP_400_BAD_REQUEST)
        return _answer(result)
