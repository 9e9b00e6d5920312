"""Registering storage locations: validation per kind, secrets kept write-only, audit without secrets."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from compliance.audit.models import AuditEvent
from datasets.locations import sqlalchemy_url
from datasets.models import StorageLocation
from datasets.services import (
    RegistryActionRefused,
    add_storage_location,
    archive_dataset,
    remove_storage_location,
    update_storage_location,
)

pytestmark = pytest.mark.django_db

PASSWORD = "s3cr3t-Pa55word"


def all_audit_payloads() -> str:
    return json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))


def add(dataset, actor, **fields):
    return add_storage_location(actor=actor, dataset=dataset, **fields)


def test_a_postgresql_location_keeps_the_url_encrypted_and_shows_it_redacted(dataset, steward):
    location = add(
        dataset,
        steward,
        name="shop customers",
        kind="postgresql",
        url=f"postgresql://app:{PASSWORD}@127.0.0.1:5432/shop",
        table="customers",
        subject_key="email",
        subject_field="email",
        erasure_mode="delete",
    )

    assert location.display_target == "postgresql://app:***@127.0.0.1:5432/shop"
    assert sqlalchemy_url(location) == f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:5432/shop"
    stored = StorageLocation.objects.get(pk=location.pk)
    assert stored.connection == {"url": f"postgresql://app:{PASSWORD}@127.0.0.1:5432/shop"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT connection FROM datasets_storagelocation")
        (raw,) = cursor.fetchone()
    assert PASSWORD not in raw and "postgresql://" not in raw
    event = AuditEvent.objects.get(action="storage_location.added")
    assert event.data["display_target"] == "postgresql://app:***@127.0.0.1:5432/shop"
    assert event.data["has_secrets"] is True


def test_secrets_appear_in_no_audit_payload_through_add_update_and_remove(dataset, steward):
    location = add(
        dataset,
        steward,
        name="helpdesk",
        kind="mysql",
        url=f"mysql://helpdesk:{PASSWORD}@db.internal:3306/helpdesk?ssl_key=/keys/{PASSWORD}",
        table="tickets",
        subject_key="email",
    )
    s3 = add(
        dataset,
        steward,
        name="lake",
        kind="s3",
        bucket="custos-lake",
        prefix="exports/",
        format="parquet",
        access_key_id="AKIADEMO",
        secret_access_key=PASSWORD,
        subject_key="external_id",
        subject_field="user_id",
    )
    update_storage_location(actor=steward, location=location, changes={"url": f"mysql://helpdesk:{PASSWORD}-2@db.internal/helpdesk"})
    update_storage_location(actor=steward, location=s3, changes={"secret_access_key": PASSWORD + "-new"})
    remove_storage_location(actor=steward, location=s3)

    assert PASSWORD not in all_audit_payloads()
    assert AuditEvent.objects.get(action="storage_location.added", target_id=str(location.pk)).data["display_target"] == (
        "mysql://helpdesk:***@db.internal:3306/helpdesk?ssl_key=***"
    )
    updated = AuditEvent.objects.filter(action="storage_location.updated").order_by("sequence")
    assert [event.data["secrets_replaced"] for event in updated] == [["url"], ["secret_access_key"]]


def test_updating_without_the_secret_keeps_it(dataset, steward):
    location = add(
        dataset, steward, name="db", kind="postgresql", url=f"postgresql://app:{PASSWORD}@db/shop", table="customers", subject_key="email"
    )
    update_storage_location(actor=steward, location=location, changes={"table": "public.customers", "url": ""})

    location.refresh_from_db()
    assert location.table == "public.customers"
    assert location.connection["url"] == f"postgresql://app:{PASSWORD}@db/shop"
    event = AuditEvent.objects.get(action="storage_location.updated")
    assert event.data["changes"] == {"table": {"from": "customers", "to": "public.customers"}}
    assert event.data["secrets_replaced"] == []


def test_the_kind_of_a_location_cannot_change(dataset, steward, stores):
    location = add(dataset, steward, name="db", kind="postgresql", url="postgresql://app@db/shop", table="t", subject_key="email")
    with pytest.raises(ValidationError) as excinfo:
        update_storage_location(actor=steward, location=location, changes={"kind": "sqlite"})
    assert excinfo.value.message_dict == {"kind": ["The kind of a location cannot change: add a new location instead."]}


def test_file_paths_outside_the_allowed_roots_are_refused_naming_the_roots(dataset, steward, stores, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    with pytest.raises(ValidationError) as excinfo:
        add(dataset, steward, name="f", kind="filesystem", path=str(stores / ".." / "elsewhere.csv"), subject_key="email")
    assert excinfo.value.message_dict == {
        "path": [
            f"{outside} is outside the directories Custos may use ({stores}). Choose a path under one of them,"
            " or ask an administrator to add its directory to CONNECTOR_FILESYSTEM_ROOTS."
        ]
    }


def test_a_symlink_out_of_the_roots_is_resolved_and_refused(dataset, steward, stores, tmp_path):
    secret_dir = tmp_path / "private"
    secret_dir.mkdir()
    (stores / "innocent").symlink_to(secret_dir)
    with pytest.raises(ValidationError) as excinfo:
        add(dataset, steward, name="f", kind="sqlite", path=str(stores / "innocent" / "db.sqlite3"), table="t", subject_key="email")
    assert excinfo.value.message_dict["path"][0].startswith(f"{secret_dir / 'db.sqlite3'} is outside the directories")


def test_paths_inside_the_roots_are_stored_resolved(dataset, steward, stores):
    (stores / "exports").mkdir()
    location = add(dataset, steward, name="f", kind="filesystem", path="exports/../exports/customers.jsonl", subject_key="email")
    assert location.path == str(stores / "exports" / "customers.jsonl")
    assert location.format == "jsonl"
    assert location.display_target == location.path


def test_sql_identifiers_are_validated(dataset, steward):
    with pytest.raises(ValidationError) as excinfo:
        add(
            dataset,
            steward,
            name="db",
            kind="postgresql",
            url="postgresql://app@db/shop",
            table="customers; DROP TABLE x",
            subject_key="email",
            subject_field="e-mail",
            erasure_mode="anonymise",
            anonymise_fields=["name", "1st_line"],
        )
    assert excinfo.value.message_dict == {
        "table": [
            "'customers; DROP TABLE x' is not a valid table name: use letters, digits and underscores (schema.table"
            " allowed), starting with a letter or underscore, at most 63 characters each."
        ],
        "subject_field": [
            "'e-mail' is not a valid column name: use letters, digits and underscores, starting with a letter or"
            " underscore, at most 63 characters."
        ],
        "anonymise_fields": [
            "'1st_line' is not a valid column name: use letters, digits and underscores, starting with a letter or"
            " underscore, at most 63 characters."
        ],
    }


def test_kind_specific_refusals(dataset, steward):
    cases = [
        (dict(kind="redis", url="redis://cache:6379/0", key_pattern="user:*"), {"key_pattern": ["Give the key pattern with {key} where the subject's key goes, for example user:{key}:*."]}),
        (dict(kind="postgresql", url="mysql://app@db/shop", table="t"), {"url": ["A postgresql location needs a postgres:// or postgresql:// URL, not mysql://."]}),
        (dict(kind="postgresql", url="postgresql://app@db:port/shop", table="t"), {"url": ["The port in the URL is not a number between 0 and 65535. For example: postgresql://user:password@host:5432/database."]}),
        (dict(kind="mysql", url="mysql://app@db", table="t"), {"url": ["The URL names no database: add it after the host, as in mysql://user:password@host:3306/database."]}),
        (dict(kind="postgresql", table="t"), {"url": ["Give the URL of the PostgreSQL server, for example postgresql://user:password@host:5432/database."]}),
        (dict(kind="postgresql", url="postgresql://app@db/shop", table="t", path="/tmp/x"), {"path": ["A postgresql location takes no path."]}),
        (dict(kind="filesystem", path="data.bin"), {"format": ["Say the file format: csv, jsonl, parquet."]}),
        (dict(kind="s3", bucket="Bad_Bucket", access_key_id="AKIA"), {
            "bucket": ["Give the bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit."],
            "format": ["Say the file format: csv, jsonl, parquet."],
            "secret_access_key": ["Give both the access key id and the secret access key, or neither (to use the environment's credentials)."],
        }),
        (dict(kind="s3", bucket="lake", format="csv", endpoint_url="https://key:secret@s3.example.org"), {
            "endpoint_url": ["Put S3 credentials in the access key fields, not in the endpoint URL (which is shown on pages)."],
        }),
        (dict(kind="ftp"), {"kind": ["Choose the kind of store: postgresql, mysql, sqlite, filesystem, redis, s3."]}),
    ]
    for fields, expected in cases:
        with pytest.raises(ValidationError) as excinfo:
            add(dataset, steward, name="x", subject_key="email", **fields)
        assert excinfo.value.message_dict == expected, fields


def test_anonymising_needs_a_field_and_the_subject_key_is_required(dataset, steward):
    with pytest.raises(ValidationError) as excinfo:
        add(dataset, steward, name="f", kind="filesystem", path="a.csv", subject_key="", erasure_mode="anonymise")
    assert excinfo.value.message_dict == {
        "subject_key": ["Say which identifier keys this store: external_id, email, phone."],
        "anonymise_fields": ["Anonymising needs at least one field to blank."],
    }


def test_redis_subject_field_is_the_key_pattern_and_passwords_in_redis_urls_are_redacted(dataset, steward):
    location = add(dataset, steward, name="cache", kind="redis", url=f"redis://:{PASSWORD}@cache:6379/2", key_pattern="user:{key}:*", subject_key="external_id")
    assert location.subject_field == "user:{key}:*"
    assert location.display_target == "redis://:***@cache:6379/2"


def test_a_password_with_an_at_sign_is_read_as_a_person_means_it(dataset, steward):
    location = add(dataset, steward, name="db", kind="postgresql", url="postgresql://app:p@ss@db:5432/shop", table="t", subject_key="email")
    assert location.display_target == "postgresql://app:***@db:5432/shop"
    assert sqlalchemy_url(location) == "postgresql+psycopg://app:p%40ss@db:5432/shop"


def test_location_names_are_unique_per_dataset(dataset, steward):
    add(dataset, steward, name="db", kind="postgresql", url="postgresql://app@db/shop", table="t", subject_key="email")
    with pytest.raises(ValidationError) as excinfo:
        add(dataset, steward, name="db", kind="postgresql", url="postgresql://app@db/shop", table="t", subject_key="email")
    assert excinfo.value.message_dict == {"name": ["Dataset 'shop-customers' already has a location named 'db'."]}


def test_locations_need_edit_rights_and_an_active_dataset(dataset, steward, other_steward):
    with pytest.raises(PermissionDenied, match="You may not edit dataset 'shop-customers'."):
        add(dataset, other_steward, name="db", kind="postgresql", url="postgresql://app@db/shop", table="t", subject_key="email")
    archive_dataset(actor=steward, dataset=dataset)
    dataset.refresh_from_db()
    with pytest.raises(RegistryActionRefused, match="Dataset 'shop-customers' is archived: restore it before adding locations."):
        add(dataset, steward, name="db", kind="postgresql", url="postgresql://app@db/shop", table="t", subject_key="email")


def test_a_location_a_share_link_points_at_stays(csv_location, dataset, steward, make_version, in_a_week):
    from datasets.services import create_share_link

    version = make_version(dataset, "v1")
    create_share_link(actor=steward, version=version, recipient_name="R", recipient_organisation="Lab", purpose="study", expires_at=in_a_week)
    with pytest.raises(RegistryActionRefused, match="Location 'export' is still referred to by share links, so it stays in the registry."):
        remove_storage_location(actor=steward, location=csv_location)
