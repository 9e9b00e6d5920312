"""The locations tab and the location forms: kinds, validation, write-only secrets, permissions."""

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.models import StorageLocation
from datasets.services import add_storage_location, archive_dataset, create_share_link, grant_dataset_access

pytestmark = pytest.mark.django_db

PASSWORD = "s3cr3t-Pa55word"
DB_URL = f"postgresql://app:{PASSWORD}@db.example.org:5432/shop"
ACCESS_KEY = "AKIAEXAMPLEKEYID0001"
SECRET_KEY = "wJalrXUtnFEMI-secret-access-key"


def url(name: str, dataset, **kwargs) -> str:
    return reverse(f"datasets:{name}", kwargs={"slug": dataset.slug, **kwargs})


def create_url(dataset, kind: str) -> str:
    return f"{url('location_create', dataset)}?kind={kind}"


@pytest.fixture
def postgres_location(dataset, steward):
    return add_storage_location(
        actor=steward, dataset=dataset, name="shop database", kind="postgresql", url=DB_URL, table="customers", subject_key="email"
    )


def assert_no_secret_anywhere(*responses) -> None:
    for response in responses:
        body = response.content.decode()
        for secret in (PASSWORD, ACCESS_KEY, SECRET_KEY):
            assert secret not in body
    for event in AuditEvent.objects.all():
        for secret in (PASSWORD, ACCESS_KEY, SECRET_KEY):
            assert secret not in event.data_compact


def test_the_tab_lists_locations_with_redacted_targets(client_for, dataset, postgres_location, csv_location):
    response = client_for(Role.AUDITOR)[0].get(url("locations", dataset))
    page = response.content.decode()

    assert response.status_code == 200
    for text in ("shop database", "PostgreSQL", "postgresql://app:***@db.example.org:5432/shop", "customers", "Email address",
                 "export", "Files", "customer_id", "External id", "Delete"):
        assert text in page, text
    assert 'aria-current="page">Locations</a>' in page
    # An auditor changes nothing: no add, edit or remove.
    assert url("location_create", dataset) not in page and "Remove" not in page
    assert_no_secret_anywhere(response)


def test_adding_starts_with_the_kind_of_store(client_of, dataset, steward):
    response = client_of(steward).get(url("location_create", dataset))
    page = response.content.decode()
    assert response.status_code == 200
    for kind in ("postgresql", "mysql", "sqlite", "filesystem", "redis", "s3"):
        assert f'href="{create_url(dataset, kind)}"' in page


def test_an_unknown_kind_is_explained(client_of, dataset, steward):
    response = client_of(steward).get(create_url(dataset, "oracle"))
    assert response.status_code == 200
    assert (
        "Unknown kind of store. Choose one of: postgresql, mysql, sqlite, filesystem, redis, s3." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("postgresql", {"url", "table"}),
        ("mysql", {"url", "table"}),
        ("sqlite", {"path", "table"}),
        ("filesystem", {"path", "format"}),
        ("redis", {"url", "key_pattern"}),
        ("s3", {"endpoint_url", "bucket", "prefix", "region", "format", "access_key_id", "secret_access_key"}),
    ],
)
def test_each_kind_asks_for_its_own_settings(kind, fields, client_of, dataset, steward):
    form = client_of(steward).get(create_url(dataset, kind)).context["form"]
    common = {"name", "subject_key", "subject_field", "erasure_mode", "anonymise_fields", "encrypted_at_rest"}
    if kind == "redis":
        common.discard("subject_field")
    assert set(form.fields) == common | fields


def test_secret_inputs_are_password_fields_that_say_they_are_write_only(client_of, dataset, steward):
    page = client_of(steward).get(create_url(dataset, "s3")).content.decode()
    for name in ("access_key_id", "secret_access_key"):
        assert f'type="password" name="{name}"' in page
    assert "Write-only: stored encrypted and never shown again, not even to you." in page


def test_adding_a_postgresql_location(client_of, dataset, steward, last_event):
    client = client_of(steward)
    response = client.post(
        create_url(dataset, "postgresql"),
        {"name": "shop database", "url": DB_URL, "table": "customers", "subject_key": "email", "subject_field": "",
         "erasure_mode": "anonymise", "anonymise_fields": "email, phone", "encrypted_at_rest": "on"},
        follow=True,
    )

    assert response.redirect_chain == [(url("locations", dataset), 302)]
    assert "Location shop database added." in response.content.decode()
    location = StorageLocation.objects.get()
    assert location.connection == {"url": DB_URL}
    assert (location.subject_field, location.anonymise_fields, location.encrypted_at_rest) == ("email", ["email", "phone"], True)
    event = last_event("storage_location.added")
    assert event.data["display_target"] == "postgresql://app:***@db.example.org:5432/shop" and event.data["has_secrets"]
    assert_no_secret_anywhere(response)


def test_a_refused_location_keeps_no_secret_in_the_page(client_of, dataset, steward):
    response = client_of(steward).post(
        create_url(dataset, "postgresql"),
        {"name": "", "url": DB_URL, "table": "customers; drop table x", "subject_key": "email", "erasure_mode": "delete"},
    )

    errors = response.context["form"].errors
    assert errors["name"] == ["Give the location a name, for example 'shop customers'."]
    assert errors["table"] == [
        "'customers; drop table x' is not a valid table name: use letters, digits and underscores (schema.table allowed),"
        " starting with a letter or underscore, at most 63 characters each."
    ]
    assert not StorageLocation.objects.exists()
    assert_no_secret_anywhere(response)


def test_a_missing_url_says_what_one_looks_like(client_of, dataset, steward):
    response = client_of(steward).post(
        create_url(dataset, "postgresql"), {"name": "db", "url": "", "table": "customers", "subject_key": "email", "erasure_mode": "delete"}
    )
    assert response.context["form"].errors["url"] == [
        "Give the URL of the PostgreSQL server, for example postgresql://user:password@host:5432/database."
    ]


def test_a_path_outside_the_allowed_roots_is_refused(client_of, dataset, steward, stores):
    response = client_of(steward).post(
        create_url(dataset, "filesystem"),
        {"name": "dump", "path": "/etc/passwd", "format": "csv", "subject_key": "email", "erasure_mode": "delete"},
    )
    assert response.context["form"].errors["path"] == [
        f"/etc/passwd is outside the directories Custos may use ({stores}). Choose a path under one of them,"
        " or ask an administrator to add its directory to CONNECTOR_FILESYSTEM_ROOTS."
    ]


def test_an_archived_dataset_takes_no_new_location(client_of, dataset, steward):
    archive_dataset(actor=steward, dataset=dataset)
    client = client_of(steward)
    assert url("location_create", dataset) not in client.get(url("locations", dataset)).content.decode()
    response = client.post(
        create_url(dataset, "redis"), {"name": "cache", "url": "redis://cache:6379/0", "key_pattern": "user:{key}", "subject_key": "email", "erasure_mode": "delete"}
    )
    assert response.context["form"].non_field_errors() == [
        "Dataset 'shop-customers' is archived: restore it before adding locations."
    ]


def test_editing_never_shows_the_secret_and_an_empty_secret_keeps_it(client_of, dataset, steward, postgres_location, last_event):
    client = client_of(steward)
    edit = url("location_edit", dataset, pk=postgres_location.pk)

    form_page = client.get(edit)
    page = form_page.content.decode()
    assert 'type="password" name="url"' in page and 'value="customers"' in page
    assert "Leave empty to keep it; type a new one to replace it." in page
    assert "postgresql://app:***@db.example.org:5432/shop" in page

    saved = client.post(
        edit, {"name": "shop db", "url": "", "table": "clients", "subject_key": "email", "subject_field": "email", "erasure_mode": "delete"}, follow=True
    )
    assert "Location shop db saved." in saved.content.decode()
    postgres_location.refresh_from_db()
    assert (postgres_location.name, postgres_location.table, postgres_location.connection) == ("shop db", "clients", {"url": DB_URL})
    assert last_event("storage_location.updated").data["secrets_replaced"] == []
    assert_no_secret_anywhere(form_page, saved)


def test_typing_a_new_secret_replaces_it_and_the_audit_names_only_which(client_of, dataset, steward, postgres_location, last_event):
    new_url = "postgresql://app:another-Pa55@db2.example.org:5432/shop"
    client_of(steward).post(
        url("location_edit", dataset, pk=postgres_location.pk),
        {"name": "shop database", "url": new_url, "table": "customers", "subject_key": "email", "subject_field": "email", "erasure_mode": "delete"},
    )
    postgres_location.refresh_from_db()
    assert postgres_location.connection == {"url": new_url}
    event = last_event("storage_location.updated")
    assert event.data["secrets_replaced"] == ["url"]
    assert "another-Pa55" not in event.data_compact


def test_s3_keys_are_write_only_too(client_of, dataset, steward, last_event):
    client = client_of(steward)
    data = {"name": "lake", "bucket": "shop-lake", "prefix": "customers/", "format": "parquet", "subject_key": "external_id",
            "subject_field": "customer_id", "erasure_mode": "delete", "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}
    added = client.post(create_url(dataset, "s3"), data, follow=True)
    location = StorageLocation.objects.get()
    assert location.connection == {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}

    edit = client.get(url("location_edit", dataset, pk=location.pk))
    half = client.post(url("location_edit", dataset, pk=location.pk), {**data, "access_key_id": "", "secret_access_key": "", "region": "eu-west-1"})
    location.refresh_from_db()
    assert location.region == "eu-west-1" and location.connection == {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}
    assert_no_secret_anywhere(added, edit, half)


def test_removing_a_location(client_of, dataset, steward, postgres_location, last_event):
    client = client_of(steward)
    delete = url("location_delete", dataset, pk=postgres_location.pk)
    assert client.get(delete).status_code == 405

    response = client.post(delete, follow=True)

    assert "Location shop database removed." in response.content.decode()
    assert not StorageLocation.objects.exists()
    assert last_event("storage_location.removed").data["name"] == "shop database"


def test_a_location_a_share_link_points_at_stays(client_of, dataset, steward, csv_location, make_version, in_a_week):
    version = make_version(dataset, "v1")
    create_share_link(actor=steward, version=version, recipient_name="R", recipient_organisation="O", purpose="Audit", expires_at=in_a_week)

    response = client_of(steward).post(url("location_delete", dataset, pk=csv_location.pk), follow=True)

    assert "Location &#x27;export&#x27; is still referred to by share links, so it stays in the registry." in response.content.decode()
    assert StorageLocation.objects.filter(pk=csv_location.pk).exists()


def test_who_may_manage_locations(client_of, client_for, dataset, steward, other_steward, make_user, postgres_location):
    viewer = make_user(Role.DATA_STEWARD)
    grant_dataset_access(actor=steward, dataset=dataset, user=viewer, level="view")
    edit = url("location_edit", dataset, pk=postgres_location.pk)
    delete = url("location_delete", dataset, pk=postgres_location.pk)

    assert client_of(viewer).get(url("locations", dataset)).status_code == 200
    assert client_of(viewer).get(url("location_create", dataset)).status_code == 403
    assert client_of(viewer).get(edit).status_code == 403
    assert client_of(other_steward).get(edit).status_code == 404
    assert client_for(Role.AUDITOR)[0].post(delete).status_code == 403
    assert client_for(Role.COMPLIANCE_MANAGER)[0].post(delete).status_code == 403
    assert client_for(Role.DPO)[0].get(edit).status_code == 200
    assert StorageLocation.objects.filter(pk=postgres_location.pk).exists()


def test_a_location_is_reached_only_through_its_own_dataset(client_of, dataset, make_dataset, steward, postgres_location):
    mine_too = make_dataset("Orders", owner=steward)
    assert client_of(steward).get(url("location_edit", mine_too, pk=postgres_location.pk)).status_code == 404
