"""Storage locations: validating what a person enters, redacting secrets, building driver URLs.

Validation is strict where a mistake would point Custos at the wrong thing:
file paths must lie under ``CONNECTOR_FILESYSTEM_ROOTS`` (after resolving
symlinks and ``..``), SQL table and column names must be plain identifiers
(they end up in SQL the connectors build), and each kind takes only the
settings that mean something for it. Errors are keyed by field so a form or
the API can show each next to its input.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from sqlalchemy.engine import URL

from datasets.models import ErasureMode, FileFormat, LocationKind, SubjectKey

SQL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Field names in files and object stores: anything printable, dots for nested JSON.
FIELD_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
REDACTED = "***"
SECRET_QUERY_WORDS = ("password", "secret", "token", "key", "credential", "auth")

URL_SCHEMES = {
    LocationKind.POSTGRESQL: {"postgresql", "postgres"},
    LocationKind.MYSQL: {"mysql", "mariadb"},
    LocationKind.REDIS: {"redis", "rediss"},
}
URL_EXAMPLES = {
    LocationKind.POSTGRESQL: "postgresql://user:password@host:5432/database",
    LocationKind.MYSQL: "mysql://user:password@host:3306/database",
    LocationKind.REDIS: "redis://:password@host:6379/0",
}
# The drivers Custos installs; people write plain postgresql:// or mysql://.
SQLALCHEMY_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
FORMAT_SUFFIXES = {".csv": FileFormat.CSV, ".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL, ".parquet": FileFormat.PARQUET}

# Which optional settings each kind takes; any other non-empty one is refused.
KIND_SETTINGS = {
    LocationKind.POSTGRESQL: {"url", "table"},
    LocationKind.MYSQL: {"url", "table"},
    LocationKind.SQLITE: {"path", "table"},
    LocationKind.FILESYSTEM: {"path", "format"},
    LocationKind.REDIS: {"url", "key_pattern"},
    LocationKind.S3: {"endpoint_url", "bucket", "prefix", "region", "format", "access_key_id", "secret_access_key"},
}
ALL_SETTINGS = set().union(*KIND_SETTINGS.values())
SECRET_SETTINGS = ("url", "access_key_id", "secret_access_key")


@dataclass
class LocationInput:
    """What a person gives for a location. Empty strings mean "not given"."""

    name: str = ""
    kind: str = ""
    subject_key: str = ""
    subject_field: str = ""
    erasure_mode: str = ErasureMode.DELETE
    anonymise_fields: Sequence[str] = ()
    encrypted_at_rest: bool = False
    url: str = ""
    path: str = ""
    table: str = ""
    format: str = ""
    key_pattern: str = ""
    bucket: str = ""
    prefix: str = ""
    endpoint_url: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""


@dataclass
class CleanLocation:
    """A valid location: the model's clear fields, and the secrets to encrypt (or None)."""

    fields: dict[str, Any]
    connection: dict[str, str] | None


@dataclass
class _Errors:
    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


# --- Paths --------------------------------------------------------------------------


def allowed_roots() -> list[Path]:
    """Return the resolved directories file and SQLite locations must lie under."""
    return [Path(root).expanduser().resolve() for root in settings.CONNECTOR_FILESYSTEM_ROOTS if str(root).strip()]


def path_under_roots(raw: str) -> Path:
    """Return ``raw`` resolved (symlinks, ``..``) if it lies under an allowed root; raise ValidationError if not.

    A relative path is taken relative to the first root. Connectors call this
    again before touching a file, since a symlink may have changed since.
    """
    roots = allowed_roots()
    if not roots:
        raise ValidationError("No directory is allowed for file locations: set CONNECTOR_FILESYSTEM_ROOTS.")
    if "\x00" in raw:
        raise ValidationError("The path contains a NUL character.")
    candidate = Path(raw).expanduser()
    if not candidate.is_absolute():
        candidate = roots[0] / candidate
    resolved = candidate.resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(root) for root in roots)
        raise ValidationError(
            f"{resolved} is outside the directories Custos may use ({allowed}). Choose a path under one of them,"
            " or ask an administrator to add its directory to CONNECTOR_FILESYSTEM_ROOTS."
        )
    return resolved


# --- URLs ---------------------------------------------------------------------------


def parse_url(raw: str) -> URL:
    """Return ``raw`` as a SQLAlchemy URL, reading it the way a person wrote it.

    The user information ends at the last ``@``, so a password such as
    ``p@ss`` needs no escaping; percent-escapes are decoded. Raises ValueError
    with a readable message when the URL cannot be read.
    """
    parts = urlsplit(raw.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError("This is not a URL: it needs a scheme and a host, as in scheme://host/...")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("The port in the URL is not a number between 0 and 65535.") from None
    return URL.create(
        drivername=parts.scheme.lower(),
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        host=parts.hostname,
        port=port,
        database=unquote(parts.path.lstrip("/")) or None,
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
    )


def redact_url(url: URL) -> str:
    """Return ``url`` as text with its password and any secret-looking query value replaced by ***."""
    query = {
        name: (REDACTED if any(word in name.lower() for word in SECRET_QUERY_WORDS) else value)
        for name, value in url.query.items()
    }
    text = url.set(query={}).render_as_string(hide_password=True)
    return f"{text}?{urlencode(query, safe='*/')}" if query else text


def sqlalchemy_url(location) -> str:
    """Return the SQLAlchemy URL of a relational location, with the driver Custos uses.

    ``postgresql://`` becomes ``postgresql+psycopg://`` and ``mysql://``
    ``mysql+pymysql://``; a SQLite location's path becomes ``sqlite:////path``.
    The result holds the password: never show or log it.
    """
    if location.kind == LocationKind.SQLITE:
        return f"sqlite:///{location.path}"
    if location.kind not in (LocationKind.POSTGRESQL, LocationKind.MYSQL):
        raise ValueError(f"A {location.kind} location has no SQLAlchemy URL.")
    url = parse_url(location.connection["url"])
    backend = url.drivername.split("+", 1)[0]
    return url.set(drivername=SQLALCHEMY_DRIVERS[backend]).render_as_string(hide_password=False)


def _clean_url(kind: str, raw: str, errors: _Errors) -> URL | None:
    example = URL_EXAMPLES[kind]
    if not raw.strip():
        errors.add("url", f"Give the URL of the {LocationKind(kind).label} server, for example {example}.")
        return None
    try:
        url = parse_url(raw)
    except ValueError as error:
        errors.add("url", f"{error} For example: {example}.")
        return None
    scheme = url.drivername.split("+", 1)[0]
    if scheme not in URL_SCHEMES[kind]:
        expected = " or ".join(f"{name}://" for name in sorted(URL_SCHEMES[kind]))
        errors.add("url", f"A {kind} location needs a {expected} URL, not {scheme}://.")
        return None
    if not url.host:
        errors.add("url", f"The URL names no host. For example: {example}.")
        return None
    if kind != LocationKind.REDIS and not url.database:
        errors.add("url", f"The URL names no database: add it after the host, as in {example}.")
        return None
    return url


def _clean_endpoint(raw: str, errors: _Errors) -> str:
    if not raw:
        return ""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.add("endpoint_url", "The endpoint URL must be an http:// or https:// address, for example https://s3.example.org.")
        return ""
    if parts.username or parts.password:
        errors.add(
            "endpoint_url",
            "Put S3 credentials in the access key fields, not in the endpoint URL (which is shown on pages).",
        )
        return ""
    return raw.strip().rstrip("/")


# --- Names --------------------------------------------------------------------------


def is_sql_identifier(name: str, *, qualified: bool = False) -> bool:
    """Return whether ``name`` is a plain SQL identifier (or ``schema.table`` when ``qualified``)."""
    parts = name.split(".") if qualified else [name]
    return len(parts) <= 2 and all(SQL_IDENTIFIER.match(part) for part in parts)


def _clean_names(kind: str, names: Sequence[str], field_name: str, errors: _Errors) -> list[str]:
    relational = kind in (LocationKind.POSTGRESQL, LocationKind.MYSQL, LocationKind.SQLITE)
    cleaned: list[str] = []
    for raw in names:
        name = str(raw).strip()
        if relational and not is_sql_identifier(name):
            errors.add(
                field_name,
                f"{name!r} is not a valid column name: use letters, digits and underscores, starting with a letter"
                " or underscore, at most 63 characters.",
            )
        elif not relational and not FIELD_NAME.match(name):
            errors.add(field_name, f"{name!r} is not a valid field name: 1 to 200 printable characters.")
        elif name not in cleaned:
            cleaned.append(name)
    return cleaned


# --- The whole location -----------------------------------------------------------------


def clean_location(data: LocationInput) -> CleanLocation:
    """Return ``data`` validated and normalised for its kind; raise ValidationError keyed by field."""
    errors = _Errors()
    name = data.name.strip()
    if not name:
        errors.add("name", "Give the location a name, for example 'shop customers'.")
    if data.kind not in LocationKind.values:
        errors.add("kind", f"Choose the kind of store: {', '.join(LocationKind.values)}.")
        errors.raise_if_any()
    kind = LocationKind(data.kind)
    for setting in sorted(ALL_SETTINGS - KIND_SETTINGS[kind]):
        if str(getattr(data, setting) or "").strip():
            errors.add(setting, f"A {kind} location takes no {setting.replace('_', ' ')}.")

    fields: dict[str, Any] = {
        "name": name,
        "kind": kind.value,
        "table": "",
        "path": "",
        "format": "",
        "key_pattern": "",
        "bucket": "",
        "prefix": "",
        "endpoint_url": "",
        "region": "",
        "encrypted_at_rest": bool(data.encrypted_at_rest),
    }
    connection: dict[str, str] | None = None

    if kind in (LocationKind.POSTGRESQL, LocationKind.MYSQL, LocationKind.REDIS):
        url = _clean_url(kind, data.url, errors)
        if url is not None:
            connection = {"url": data.url.strip()}
            fields["display_target"] = redact_url(url)
    if kind in (LocationKind.POSTGRESQL, LocationKind.MYSQL, LocationKind.SQLITE):
        table = data.table.strip()
        if not table:
            errors.add("table", "Give the table holding the subjects' records.")
        elif not is_sql_identifier(table, qualified=True):
            errors.add(
                "table",
                f"{table!r} is not a valid table name: use letters, digits and underscores (schema.table allowed),"
                " starting with a letter or underscore, at most 63 characters each.",
            )
        fields["table"] = table
    if kind in (LocationKind.SQLITE, LocationKind.FILESYSTEM):
        if not data.path.strip():
            errors.add("path", "Give the path of the file or directory.")
        else:
            try:
                resolved = path_under_roots(data.path.strip())
            except ValidationError as error:
                errors.add("path", error.messages[0])
            else:
                if kind == LocationKind.SQLITE and resolved.is_dir():
                    errors.add("path", f"{resolved} is a directory; give the SQLite database file.")
                fields["path"] = str(resolved)
                fields["display_target"] = str(resolved)
    if kind in (LocationKind.FILESYSTEM, LocationKind.S3):
        fields["format"] = _clean_format(data.format, data.path if kind == LocationKind.FILESYSTEM else data.prefix, errors)
    if kind == LocationKind.REDIS:
        pattern = data.key_pattern.strip()
        if "{key}" not in pattern:
            errors.add("key_pattern", "Give the key pattern with {key} where the subject's key goes, for example user:{key}:*.")
        fields["key_pattern"] = pattern
    if kind == LocationKind.S3:
        connection = _clean_s3(data, fields, errors)

    fields["subject_key"] = data.subject_key
    if data.subject_key not in SubjectKey.values:
        errors.add("subject_key", f"Say which identifier keys this store: {', '.join(SubjectKey.values)}.")
    subject_field = data.subject_field.strip() or (fields["key_pattern"] if kind == LocationKind.REDIS else data.subject_key)
    if kind != LocationKind.REDIS and subject_field:
        cleaned_subject = _clean_names(kind, [subject_field], "subject_field", errors)
        subject_field = cleaned_subject[0] if cleaned_subject else subject_field
    fields["subject_field"] = subject_field

    fields["erasure_mode"] = data.erasure_mode
    fields["anonymise_fields"] = []
    if data.erasure_mode not in ErasureMode.values:
        errors.add("erasure_mode", f"Choose the erasure mode: {', '.join(ErasureMode.values)}.")
    elif data.erasure_mode == ErasureMode.ANONYMISE:
        if isinstance(data.anonymise_fields, str):
            errors.add("anonymise_fields", "Give the fields to blank as a list.")
        else:
            fields["anonymise_fields"] = _clean_names(kind, data.anonymise_fields, "anonymise_fields", errors)
            if not fields["anonymise_fields"] and "anonymise_fields" not in errors.by_field:
                errors.add("anonymise_fields", "Anonymising needs at least one field to blank.")
    errors.raise_if_any()
    return CleanLocation(fields=fields, connection=connection)


def _clean_format(raw: str, path: str, errors: _Errors) -> str:
    if raw:
        if raw not in FileFormat.values:
            errors.add("format", f"Choose the file format: {', '.join(FileFormat.values)}.")
        return raw
    guessed = FORMAT_SUFFIXES.get(Path(path.strip()).suffix.lower())
    if guessed is None:
        errors.add("format", f"Say the file format: {', '.join(FileFormat.values)}.")
        return ""
    return guessed.value


def _clean_s3(data: LocationInput, fields: dict[str, Any], errors: _Errors) -> dict[str, str] | None:
    bucket = data.bucket.strip()
    if not S3_BUCKET.match(bucket):
        errors.add(
            "bucket",
            "Give the bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a"
            " letter or digit.",
        )
    prefix = data.prefix.strip().lstrip("/")
    endpoint = _clean_endpoint(data.endpoint_url, errors)
    fields.update(bucket=bucket, prefix=prefix, endpoint_url=endpoint, region=data.region.strip())
    fields["display_target"] = f"s3://{bucket}/{prefix}" + (f" at {endpoint}" if endpoint else "")
    access_key, secret_key = data.access_key_id.strip(), data.secret_access_key.strip()
    if bool(access_key) != bool(secret_key):
        errors.add(
            "secret_access_key" if access_key else "access_key_id",
            "Give both the access key id and the secret access key, or neither (to use the environment's credentials).",
        )
        return None
    return {"access_key_id": access_key, "secret_access_key": secret_key} if access_key else None


def location_input_from(location, changes: dict[str, Any]) -> LocationInput:
    """Return the input that updates ``location`` with ``changes``.

    Secrets not in ``changes`` (or given empty) keep their stored value, since
    forms never show them back.
    """
    connection = location.connection or {}
    values: dict[str, Any] = {
        "name": location.name,
        "kind": location.kind,
        "subject_key": location.subject_key,
        "subject_field": location.subject_field,
        "erasure_mode": location.erasure_mode,
        "anonymise_fields": list(location.anonymise_fields),
        "encrypted_at_rest": location.encrypted_at_rest,
        "path": location.path,
        "table": location.table,
        "format": location.format,
        "key_pattern": location.key_pattern,
        "bucket": location.bucket,
        "prefix": location.prefix,
        "endpoint_url": location.endpoint_url,
        "region": location.region,
    }
    for secret in SECRET_SETTINGS:
        values[secret] = connection.get(secret, "")
    unknown = set(changes) - set(values)
    if unknown:
        raise ValueError(f"Unknown location fields: {', '.join(sorted(unknown))}.")
    for name, value in changes.items():
        if name in SECRET_SETTINGS and not value:
            continue
        values[name] = value
    if location.kind == LocationKind.REDIS and "key_pattern" in changes and "subject_field" not in changes:
        values["subject_field"] = ""
    return LocationInput(**values)
