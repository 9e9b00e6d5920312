"""Shapes of the statements endpoint's answers (for the OpenAPI schema; the request is an xAPI statement)."""

from rest_framework import serializers


class StatementAnswerSerializer(serializers.Serializer):
    """What the endpoint answers about a statement: accepted, a resubmission, or rejected and why."""

    statement = serializers.UUIDField(help_text="The statement's id.")
    status = serializers.ChoiceField(choices=["accepted", "rejected"])
    duplicate = serializers.BooleanField(help_text="True when this id was received before; nothing changed.")
    detail = serializers.CharField(help_text="What happened, for a person.")
    code = serializers.CharField(
        help_text="accepted, duplicate, or the rejection: malformed, unsupported_verb, unknown_actor, "
        "unknown_activity, failing_score, not_assigned."
    )
    course = serializers.CharField(allow_null=True, help_text="The course's code, when the activity matched one.")
