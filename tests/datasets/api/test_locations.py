"""POST/GET /api/v1/datasets/{slug}/locations/: every kind, validation, and secrets that never come back."""

import logging

import pytest

from compliance.accounts.roles import Role
from datasets.locations import sqlalchemy_url
from datasets.models import StorageLocation
from datasets.services import archive_dataset, grant_dataset_access
from tests.conftest import verified_client
from tests.datasets.api.conftest import all_audit_payloads, errors_of, events, send

pytestmark = pytest.mark.django_db

DB_PASSWORD = "pw-Tr0ub4dor-db"
REDIS_PASSWORD = "redis-s3cret-77"
ACCESS_KEY = "AKIAEXAMPLEKEY123"
SECRET_KEY = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
SECRETS = (DB_PASSWORD, REDIS_PASSWORD, ACCESS_KEY, SECRET_KEY)


def locations(slug: str = "shop-customers") -> str:
    return f"/api/v1/datasets/{slug}/locations/"



POSTGRESQL = {
    "name": "shop customers",
    "kind": "postgresql",
    "url": f"postgresql://app:{DB_PASSWORD}@127.0.0.1:5432/shop",
    "table": "customers",
    "subject_key": "email",
    "subject_field": "email",
    "erasure_mode": "delete",
}


def test_the_issues_example_registers_a_postgresql_location_redacted(writer, dataset):
    client, key = writer
    response = send(client, "post", locations(), POSTGRESQL)

    assert response.status_code == 201, response.content
    location = StorageLocation.objects.get()
    assert response.json() == {
        "id": str(location.pk),
        "name": "shop customers",
        "kind": "postgresql",
        "target": "postgresql://app:***@127.0.0.1:5432/shop",
        "path": "",
        "table": "customers",
        "format": "",
        "key_pattern": "",
        "bucket": "",
        "prefix": "",
        "endpoint_url": "",
        "region": "",
        "subject_key": "email",
        "subject_field": "email",
        "erasure_mode": "delete",
        "anonymise_fields": [],
        "encrypted_at_rest": False,
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    # Kept encrypted as written; Custos picks the driver.
    assert location.connection == {"url": POSTGRESQL["url"]}
    assert sqlalchemy_url(location).startswith("postgresql+psycopg://app:")
    [event] = events("storage_location.added")
    assert (event.actor_type, event.actor_id) == ("api_key", str(key.pk))
    assert event.data["display_target"] == "postgresql://app:***@127.0.0.1:5432/shop" and event.data["has_secrets"] is True


def test_a_plain_mysql_url_gets_custos_driver(writer, dataset):
    client, _ = writer
    response = send(
        client,
        "post",
        locations(),
        {"name": "crm", "kind": "mysql", "url": f"mysql://crm:{DB_PASSWORD}@127.0.0.1:3306/crm", "table": "crm.contacts", "subject_key": "phone", "subject_field": "phone_number"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["target"] == "mysql://crm:***@127.0.0.1:3306/crm"
    assert sqlalchemy_url(StorageLocation.objects.get()).startswith("mysql+pymysql://crm:")


def test_file_and_sqlite_locations_take_a_path_under_the_allowed_roots(writer, dataset, stores):
    client, _ = writer
    (stores / "exports").mkdir()
    response = send(
        client,
        "post",
        locations(),
        {"name": "exports", "kind": "filesystem", "path": "exports/customers.parquet", "subject_key": "external_id", "subject_field": "customer_id"},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["path"], response.json()["format"]) == (str(stores / "exports" / "customers.parquet"), "parquet")

    response = send(
        client,
        "post",
        locations(),
        {"name": "lines", "kind": "filesystem", "path": str(stores / "events.log"), "format": "jsonl", "subject_key": "email"},
    )
    assert response.status_code == 201 and response.json()["format"] == "jsonl" and response.json()["subject_field"] == "email"

    response = send(
        client,
        "post",
        locations(),
        {"name": "local db", "kind": "sqlite", "path": str(stores / "app.sqlite3"), "table": "users", "subject_key": "email", "erasure_mode": "anonymise", "anonymise_fields": ["email", "name"]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["anonymise_fields"] == ["email", "name"]


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.csv", "exports/../../outside.csv"])
def test_a_path_outside_the_roots_is_refused(writer, dataset, stores, path):
    client, _ = writer
    [message] = errors_of(
        send(client, "post", locations(), {"name": "x", "kind": "filesystem", "path": path, "format": "csv", "subject_key": "email"})
    )["path"]
    assert message.endswith(
        f"is outside the directories Custos may use ({stores}). Choose a path under one of them, or ask an"
        " administrator to add its directory to CONNECTOR_FILESYSTEM_ROOTS."
    )
    assert not StorageLocation.objects.exists()


def test_redis_takes_a_url_and_a_key_pattern(writer, dataset):
    client, _ = writer
    response = send(
        client,
        "post",
        locations(),
        {"name": "sessions", "kind": "redis", "url": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0", "key_pattern": "user:{key}:*", "subject_key": "external_id"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["target"], body["key_pattern"], body["subject_field"]) == ("redis://:***@127.0.0.1:6379/0", "user:{key}:*", "user:{key}:*")

    refused = send(client, "post", locations(), {"name": "cache", "kind": "redis", "url": "redis://127.0.0.1:6379/1", "key_pattern": "user:*", "subject_key": "external_id"})
    assert errors_of(refused) == {
        "key_pattern": ["Give the key pattern with {key} where the subject's key goes, for example user:{key}:*."]
    }


def test_s3_takes_an_endpoint_bucket_prefix_and_credentials(writer, dataset):
    client, _ = writer
    response = send(
        client,
        "post",
        locations(),
        {
            "name": "lake",
            "kind": "s3",
            "endpoint_url": "https://s3.example.org",
            "bucket": "ml-lake",
            "prefix": "customers/",
            "region": "eu-west-1",
            "format": "parquet",
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "subject_key": "external_id",
            "subject_field": "customer_id",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["target"] == "s3://ml-lake/customers/ at https://s3.example.org"
    assert (body["bucket"], body["prefix"], body["endpoint_url"], body["region"]) == ("ml-lake", "customers/", "https://s3.example.org", "eu-west-1")
    assert "access_key_id" not in body and "secret_access_key" not in body
    assert StorageLocation.objects.get().connection == {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({**POSTGRESQL, "url": "http://app:pw@127.0.0.1/shop"}, {"url": ["A postgresql location needs a postgres:// or postgresql:// URL, not http://."]}),
        ({**POSTGRESQL, "url": "postgresql://app:pw@127.0.0.1:5432"}, {"url": [
            "The URL names no database: add it after the host, as in postgresql://user:password@host:5432/database."
        ]}),
        ({**POSTGRESQL, "url": "shop database"}, {"url": [
            "This is not a URL: it needs a scheme and a host, as in scheme://host/... For example:"
            " postgresql://user:password@host:5432/database."
        ]}),
        ({**POSTGRESQL, "url": "postgresql://app:pw@db:99999/shop"}, {"url": [
            "The port in the URL is not a number between 0 and 65535. For example: postgresql://user:password@host:5432/database."
        ]}),
        ({**POSTGRESQL, "table": "customers; DROP TABLE users"}, {"table": [
            "'customers; DROP TABLE users' is not a valid table name: use letters, digits and underscores (schema.table"
            " allowed), starting with a letter or underscore, at most 63 characters each."
        ]}),
        ({**POSTGRESQL, "subject_field": "e-mail"}, {"subject_field": [
            "'e-mail' is not a valid column name: use letters, digits and underscores, starting with a letter or"
            " underscore, at most 63 characters."
        ]}),
        ({**POSTGRESQL, "erasure_mode": "anonymise", "anonymise_fields": ["name", "1st_line"]}, {"anonymise_fields": [
            "'1st_line' is not a valid column name: use letters, digits and underscores, starting with a letter or"
            " underscore, at most 63 characters."
        ]}),
        ({**POSTGRESQL, "path": "/tmp/x.csv"}, {"path": ["A postgresql location takes no path."]}),
        ({**POSTGRESQL, "kind": "oracle"}, {"kind": [
            '"oracle" is not a valid code. Use one of: postgresql, mysql, sqlite, filesystem, redis, s3.'
        ]}),
        ({**POSTGRESQL, "subject_key": "ssn"}, {"subject_key": ['"ssn" is not a valid code. Use one of: external_id, email, phone.']}),
        ({**POSTGRESQL, "erasure_mode": "shred"}, {"erasure_mode": ['"shred" is not a valid code. Use one of: delete, anonymise.']}),
        ({**POSTGRESQL, "anonymise_fields": "name"}, {"anonymise_fields": ['Expected a list of items but got type "str".']}),
        ({**POSTGRESQL, "url": {"host": "db"}}, {"url": ["Not a valid string."]}),
        ({"kind": "postgresql"}, {"name": ["This field is required."], "subject_key": ["This field is required."]}),
        ({"name": "files", "kind": "filesystem", "subject_key": "email", "path": "x.txt"}, {"format": ["Say the file format: csv, jsonl, parquet."]}),
        ({"name": "lake", "kind": "s3", "bucket": "Bad_Bucket", "subject_key": "email", "format": "csv", "access_key_id": ACCESS_KEY}, {
            "bucket": [
                "Give the bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with"
                " a letter or digit."
            ],
            "secret_access_key": [
                "Give both the access key id and the secret access key, or neither (to use the environment's credentials)."
            ],
        }),
    ],
)
def test_bad_locations_are_a_400_naming_each_field(writer, dataset, body, errors):
    client, _ = writer
    assert errors_of(send(client, "post", locations(), body)) == errors
    assert not StorageLocation.objects.exists()


def test_a_second_location_of_the_same_name_is_refused(writer, dataset):
    client, _ = writer
    send(client, "post", locations(), POSTGRESQL)
    assert errors_of(send(client, "post", locations(), POSTGRESQL)) == {
        "name": ["Dataset 'shop-customers' already has a location named 'shop customers'."]
    }


def test_an_archived_dataset_takes_no_location_409(writer, dataset):
    client, _ = writer
    archive_dataset(actor=None, dataset=dataset)
    response = send(client, "post", locations(), POSTGRESQL)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Dataset 'shop-customers' is archived: restore it before adding locations.",
        "code": "conflict",
    }


def test_a_key_without_registry_write_lists_but_cannot_add(key_client, writer, dataset):
    send(writer[0], "post", locations(), POSTGRESQL)
    client, _ = key_client("consent:read")
    listed = client.get(locations())
    assert listed.status_code == 200
    assert [row["target"] for row in listed.json()["results"]] == ["postgresql://app:***@127.0.0.1:5432/shop"]
    refused = send(client, "post", locations(), {**POSTGRESQL, "name": "again"})
    assert refused.status_code == 403 and refused.json()["detail"] == "This API key lacks the scope registry:write."


def test_an_unknown_dataset_is_404_for_reads_and_writes(writer):
    client, _ = writer
    assert client.get(locations("nope")).json() == {"detail": "No such dataset.", "code": "not_found"}
    assert send(client, "post", locations("nope"), POSTGRESQL).status_code == 404


def test_stewards_add_locations_only_to_datasets_they_may_edit(make_dataset, steward, other_steward, dpo):
    own = make_dataset("Own", owner=steward)
    readable = make_dataset("Readable", owner=other_steward)
    grant_dataset_access(actor=dpo, dataset=readable, user=steward, level="view")
    hidden = make_dataset("Hidden", owner=other_steward)
    client = verified_client(steward)

    assert send(client, "post", locations(own.slug), POSTGRESQL).status_code == 201
    refused = send(client, "post", locations(readable.slug), POSTGRESQL)
    assert refused.status_code == 403 and refused.json()["detail"] == "You may not edit dataset 'readable'."
    assert client.get(locations(readable.slug)).status_code == 200
    assert client.get(locations(hidden.slug)).status_code == 404
    assert send(client, "post", locations(hidden.slug), POSTGRESQL).status_code == 404


def test_secrets_appear_in_no_response_audit_payload_or_log(writer, client_for, dataset, caplog):
    client, _ = writer
    dpo_client, _ = client_for(Role.DPO)
    bodies = []
    with caplog.at_level(logging.DEBUG):
        bodies.append(send(client, "post", locations(), POSTGRESQL).content)
        bodies.append(
            send(client, "post", locations(), {"name": "sessions", "kind": "redis", "url": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0", "key_pattern": "u:{key}", "subject_key": "email"}).content
        )
        bodies.append(
            send(client, "post", locations(), {"name": "lake", "kind": "s3", "bucket": "ml-lake", "format": "csv", "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "subject_key": "email"}).content
        )
        # Refused input must not echo the secret either.
        bodies.append(send(client, "post", locations(), {**POSTGRESQL, "url": f"postgresql://app:{DB_PASSWORD}@db:5432"}).content)
        bodies.append(send(client, "post", locations(), {**POSTGRESQL, "table": "bad table"}).content)
        for reader in (client, dpo_client):
            bodies.append(reader.get(locations()).content)
            bodies.append(reader.get(locations(), {"limit": 1, "offset": 2}).content)
        bodies.append(client.get("/api/v1/schema/").content)
    assert StorageLocation.objects.count() == 3
    payloads = all_audit_payloads()
    for secret in SECRETS:
        assert not any(secret.encode() in body for body in bodies), secret
        assert secret not in payloads
        assert secret not in caplog.text


def test_the_list_takes_the_same_queries_at_10_and_200_locations(writer, dataset, django_assert_max_num_queries):
    client, _ = writer
    for count in (10, 200):
        StorageLocation.objects.all().delete()
        StorageLocation.objects.bulk_create(
            [
                StorageLocation(dataset=dataset, name=f"export {n}", kind="filesystem", path=f"/srv/{n}.csv", format="csv", subject_key="email", subject_field="email")
                for n in range(count)
            ]
        )
        with django_assert_max_num_queries(6):
            response = client.get(locations(), {"limit": 1000})
        assert response.json()["count"] == count
