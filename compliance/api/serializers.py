"""Response shapes of the API's own endpoints (who am I, the endpoint list)."""

from rest_framework import serializers

from compliance.accounts.models import ApiKey


class MeSerializer(serializers.Serializer):
    """Who is calling: an API key with its scopes, or a signed-in user with their roles."""

    type = serializers.ChoiceField(choices=["api_key", "user"])
    name = serializers.CharField(help_text="The key's name, or the user's username.")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKey.Scope.choices), required=False, help_text="API keys only."
    )
    expires_at = serializers.DateTimeField(allow_null=True, required=False, help_text="API keys only.")
    roles = serializers.ListField(child=serializers.CharField(), required=False, help_text="Users only.")

    @classmethod
    def describe(cls, principal) -> dict:
        """Return the serialized description of ``principal`` (an ApiKey or a User)."""
        if isinstance(principal, ApiKey):
            data = {
                "type": "api_key",
                "name": principal.name,
                "scopes": principal.scopes,
                "expires_at": principal.expires_at,
            }
        else:
            data = {"type": "user", "name": principal.get_username(), "roles": sorted(principal.role_names)}
        # Only the fields of the principal's kind: a user has no expiry to show as null.
        return {name: value for name, value in cls(data).data.items() if name in data}


class EndpointListSerializer(serializers.Serializer):
    """The API's endpoints by name, as paths (``{name}`` marks a path parameter)."""

    endpoints = serializers.DictField(child=serializers.CharField())
