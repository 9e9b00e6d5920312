"""Encrypted model fields and blind-index fields.

The database holds only tokens (see ``keyring``). Each token is bound to its row
and field as AES-GCM associated data (``app.model:field:pk``), so a token copied
into another row or column does not decrypt. Because the row's identity is part
of the encryption, a model with encrypted fields needs its primary key before the
first save: give it a UUID primary key with a default, or name another field
with a default in ``encryption_identity_field`` (checked at start-up).

Values are decrypted lazily, on first attribute access, by a descriptor that can
see the instance; ``from_db_value`` cannot, which is why decryption is not there.
Writes must go through ``Model.save`` or ``bulk_create`` (which call ``pre_save``):
``QuerySet.update`` with a plaintext value is refused rather than stored in clear.
"""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from compliance.crypto.blind_index import blind_index
from compliance.crypto.keyring import get_keyring


def identity_field_name(model: type[models.Model]) -> str:
    """Return the field whose value binds a row's tokens to it: the primary key unless the
    model names another in ``encryption_identity_field`` (for a pk the database assigns)."""
    return getattr(model, "encryption_identity_field", "pk")


class Token(str):
    """A ciphertext token as stored in the database (never plaintext)."""


class EncryptedAttribute(DeferredAttribute):
    """Decrypt the stored token the first time the attribute is read."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Token):
            value = self.field.decrypt_for(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value):
        # A data descriptor, so reads always pass through __get__ even when the
        # token already sits in the instance's __dict__.
        instance.__dict__[self.field.attname] = value


class EncryptedMixin:
    """Shared behaviour; concrete fields define ``encode`` and ``decode``."""

    descriptor_class = EncryptedAttribute

    def identity(self, instance: models.Model):
        return getattr(instance, identity_field_name(self.model))

    def associated_data(self, instance: models.Model) -> bytes:
        return f"{self.model._meta.label_lower}:{self.name}:{self.identity(instance)}".encode()

    def decrypt_for(self, instance: models.Model, token: str) -> Any:
        return self.decode(get_keyring().decrypt(token, self.associated_data(instance)))

    def encrypt_for(self, instance: models.Model, value: Any) -> Token:
        if self.identity(instance) is None:
            raise ValueError(
                f"{self.model._meta.label}.{self.name} is encrypted with the row's identity, "
                f"so {identity_field_name(self.model)} must be set before saving (give it a UUID default)."
            )
        return Token(get_keyring().encrypt(self.encode(value), self.associated_data(instance)))

    def from_db_value(self, value, expression, connection):
        return None if value is None else Token(value)

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Token):
            return value
        return self.encrypt_for(model_instance, value)

    def get_db_prep_save(self, value, connection):
        if value is None:
            return None
        if not isinstance(value, Token):
            raise ValueError(
                f"{self.model._meta.label}.{self.name} is encrypted: save it through the model instance, "
                "not QuerySet.update or bulk_update with a plain value."
            )
        return str(value)

    def value_to_string(self, obj):
        # Serialisation (dumpdata, fixtures) carries the token, never the plaintext.
        token = obj.__dict__.get(self.attname)
        if token is None or isinstance(token, Token):
            return token
        return self.encrypt_for(obj, token)


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Text stored as an AES-256-GCM token bound to its row."""

    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, raw: bytes) -> str:
        return raw.decode("utf-8")

    def to_python(self, value):
        return value


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON value stored as an AES-256-GCM token bound to its row."""

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def decode(self, raw: bytes) -> Any:
        return json.loads(raw)

    def to_python(self, value):
        return value


class BlindIndexField(models.CharField):
    """The blind index of another (encrypted) field, kept current on every save.

    ``source`` names the field it indexes, ``kind`` its normalisation
    (``email``, ``phone`` or ``text``). Look rows up with
    ``blind_index_candidates(value, kind)`` and ``__in``.
    """

    def __init__(self, *args, source: str, kind: str, **kwargs):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        plaintext = getattr(model_instance, self.source)
        value = None if plaintext in (None, "") else blind_index(plaintext, self.kind)
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[models.Model]) -> list[EncryptedMixin]:
    """Return the encrypted fields declared on ``model``."""
    return [field for field in model._meta.concrete_fields if isinstance(field, EncryptedMixin)]
