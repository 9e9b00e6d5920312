"""System checks: the keyring loads, and encrypted models can bind rows to their tokens."""

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db.models import AutoField

from compliance.crypto.fields import encrypted_fields, identity_field_name
from compliance.crypto.keyring import get_keyring


@checks.register(checks.Tags.security)
def check_keyring(app_configs, **kwargs):
    try:
        get_keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="crypto.E001")]
    return []


@checks.register(checks.Tags.models)
def check_encrypted_models_have_early_primary_keys(app_configs, **kwargs):
    errors = []
    for model in apps.get_models():
        if not encrypted_fields(model):
            continue
        name = identity_field_name(model)
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        if isinstance(field, AutoField) or not field.has_default():
            errors.append(
                checks.Error(
                    f"{model._meta.label} has encrypted fields but its identity field {name} is assigned by the database.",
                    hint="Tokens are bound to the row's identity: use a UUIDField(default=uuid.uuid4).",
                    obj=model,
                    id="crypto.E002",
                )
            )
    return errors


@checks.register(checks.Tags.security)
def check_signing_key(app_configs, **kwargs):
    """The integrity key (SIGNING_KEY) and every extra public key load."""
    from compliance.crypto import signing

    try:
        signing.public_keys()
        signing.active_key_id()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="crypto.E003")]
    return []
