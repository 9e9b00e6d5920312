"""One JSON error format for the whole API.

Every error answers ``{"detail": "<what went wrong, for a person>", "code": "<machine code>"}``;
validation errors (400) add ``"errors"``: field name → list of messages (nested
for nested fields; ``non_field_errors`` for the request as a whole). Django's
ValidationError raised by a service becomes the same 400, Http404 a 404, and an
unexpected exception a 500 with a support id, never an HTML page.
"""

import logging
import uuid

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from compliance.audit.services import record_event

logger = logging.getLogger("custos.errors")

INVALID_REQUEST = "The request has invalid fields: see errors."
NOT_AUTHENTICATED = "Authenticate with an API key (“Authorization: Bearer <key>”) or sign in."
SERVER_ERROR = "Something went wrong on our side. Quote support id {support_id} if you report it."
TOO_LARGE = "The request body is larger than the {limit:,} bytes the API accepts in one request."


class PayloadTooLarge(exceptions.APIException):
    """413: the request body is past DATA_UPLOAD_MAX_MEMORY_SIZE."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    """409: the change is refused in the object's current state (the message says why)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change is not possible in the current state."
    default_code = "conflict"


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        errors = as_serializer_error(exc)
        if NON_FIELD_ERRORS in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
        return exceptions.ValidationError(errors)
    if isinstance(exc, Http404):
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, exceptions.NotAuthenticated) and exc.detail == exceptions.NotAuthenticated.default_detail:
        # Changed in place: the view has put its WWW-Authenticate challenge on this exception.
        exc.detail = exceptions.ErrorDetail(NOT_AUTHENTICATED, code=exc.default_code)
    return exc


def _error_body(exc: exceptions.APIException, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {api_settings.NON_FIELD_ERRORS_KEY: data}
        return {"detail": INVALID_REQUEST, "code": "invalid", "errors": errors}
    codes = exc.get_codes()
    return {"detail": str(exc.detail), "code": codes if isinstance(codes, str) else exc.default_code}


def exception_handler(exc: Exception, context: dict) -> Response:
    """Turn any exception raised by an API view into a JSON error response (REST_FRAMEWORK EXCEPTION_HANDLER)."""
    exc = _as_api_exception(exc)
    request = context.get("request")
    response = drf_exception_handler(exc, context)
    if response is None:
        support_id = uuid.uuid4().hex[:12]
        logger.exception("Server error %s on %s %s", support_id, request.method, request.path, exc_info=exc)
        set_rollback()
        return Response(
            {"detail": SERVER_ERROR.format(support_id=support_id), "code": "server_error", "support_id": support_id},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = _error_body(exc, response.data)
    if isinstance(exc, exceptions.PermissionDenied) and request is not None:
        record_event(
            actor=request.user,
            action="auth.permission_denied",
            data={"path": request.path[:300], "method": request.method, "reason": str(exc.detail)[:300]},
        )
    return response
