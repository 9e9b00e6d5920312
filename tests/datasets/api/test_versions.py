"""POST/GET /api/v1/datasets/{slug}/versions/: labels, lineage across datasets, membership filters, refusals."""

import pytest

from datasets.membership import stored_filter_might_contain
from datasets.models import DatasetVersion, MembershipFilter, VersionParent
from datasets.services import archive_dataset, grant_dataset_access
from tests.conftest import verified_client
from tests.datasets.api.conftest import all_audit_payloads, errors_of, events, send

pytestmark = pytest.mark.django_db

SUBJECTS = ["ana@example.org", "ben@example.org", "cho@example.org"]


def versions(slug: str = "shop-customers") -> str:
    return f"/api/v1/datasets/{slug}/versions/"



def test_a_key_registers_a_version_by_label(writer, dataset):
    client, key = writer
    response = send(
        client,
        "post",
        versions(),
        {
            "label": "2026-03-01",
            "created_at": "2026-03-01T06:00:00Z",
            "content_digest": "sha256:" + "ab" * 32,
            "row_count": 120_000,
            "schema_summary": {"email": "text", "signed_up_on": "date"},
            "notes": "Nightly export.",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "ref": "shop-customers@2026-03-01",
        "dataset": "shop-customers",
        "label": "2026-03-01",
        "created_at": "2026-03-01T06:00:00Z",
        "content_digest": "ab" * 32,
        "row_count": 120_000,
        "schema_summary": {"email": "text", "signed_up_on": "date"},
        "notes": "Nightly export.",
        "source": "api",
        "parents": [],
        "membership_filter": None,
    }
    version = DatasetVersion.objects.get()
    assert version.created_by is None
    [event] = events("dataset_version.created")
    assert (event.actor_type, event.actor_id, event.data["source"]) == ("api_key", str(key.pk), "api")


def test_parents_are_labels_of_the_same_dataset_or_slug_at_label_across_datasets(writer, dataset, make_dataset, make_version):
    client, _ = writer
    raw = make_dataset("Raw clicks")
    make_version(raw, "v7")
    make_version(dataset, "v1")
    response = send(
        client, "post", versions(), {"label": "v2", "parents": ["v1", "raw-clicks@v7", "v1"], "transformation": "joined on customer id"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["parents"] == [
        {"version": "raw-clicks@v7", "transformation": "joined on customer id"},
        {"version": "shop-customers@v1", "transformation": "joined on customer id"},
    ]
    child = DatasetVersion.objects.get(label="v2")
    assert sorted(str(edge.parent) for edge in VersionParent.objects.filter(child=child)) == ["raw-clicks@v7", "shop-customers@v1"]


def test_unknown_parents_are_named(writer, dataset, make_version):
    client, _ = writer
    make_version(dataset, "v1")
    assert errors_of(send(client, "post", versions(), {"label": "v2", "parents": ["v1", "v0", "other@v1"]})) == {
        "parents": [
            "No version v0, other@v1 that you may see. Name a parent by its label within this dataset, or as dataset-slug@label."
        ]
    }
    assert not DatasetVersion.objects.filter(label="v2").exists()


def test_a_steward_cannot_derive_from_a_dataset_hidden_from_them(steward, dataset, make_dataset, make_version, other_steward):
    secret = make_dataset("Other team", owner=other_steward)
    make_version(secret, "v1")
    client = verified_client(steward)
    # Same answer as for a version that does not exist: the dataset's existence is not given away.
    assert errors_of(send(client, "post", versions(), {"label": "v1", "parents": ["other-team@v1"]})) == {
        "parents": [
            "No version other-team@v1 that you may see. Name a parent by its label within this dataset, or as"
            " dataset-slug@label."
        ]
    }


def test_subject_keys_build_the_membership_filter_and_are_not_kept(writer, dataset):
    client, _ = writer
    response = send(
        client,
        "post",
        versions(),
        {"label": "v1", "subject_keys": [*SUBJECTS, "ANA@example.org"], "subject_key": "email", "false_positive_rate": 0.01},
    )
    assert response.status_code == 201, response.content
    figures = response.json()["membership_filter"]
    assert (figures["subject_key"], figures["subjects"], figures["false_positive_rate"]) == ("email", 3, 0.01)
    assert figures["size_bits"] >= 8 and figures["hash_count"] >= 1
    membership = MembershipFilter.objects.get()
    assert all(stored_filter_might_contain(membership, subject) for subject in SUBJECTS)
    assert "subject_keys" not in response.json()
    payloads = all_audit_payloads()
    assert not any(subject in payloads or subject.encode() in response.content for subject in SUBJECTS)


def test_the_list_shows_versions_newest_first_with_parents_and_filters(writer, dataset, make_version):
    client, _ = writer
    make_version(dataset, "v1", created_at=None)
    send(client, "post", versions(), {"label": "v2", "parents": ["v1"], "subject_keys": ["c1", "c2"]})
    listed = client.get(versions()).json()
    assert listed["count"] == 2
    assert [row["ref"] for row in listed["results"]] == ["shop-customers@v2", "shop-customers@v1"]
    assert listed["results"][0]["parents"] == [{"version": "shop-customers@v1", "transformation": ""}]
    assert listed["results"][0]["membership_filter"]["subject_key"] == "external_id"
    assert listed["results"][1]["membership_filter"] is None


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"label": ["This field is required."]}),
        ({"label": "v 1"}, {"label": [
            "A version label is 1 to 100 letters, digits, dots, hyphens and underscores, starting with a letter or"
            " digit, for example v3 or 2026-03-01."
        ]}),
        ({"label": "v2", "content_digest": "md5:abc"}, {"content_digest": ["The content digest must be a SHA-256: 64 hexadecimal digits."]}),
        ({"label": "v2", "row_count": -5}, {"row_count": ["The row count must be at least 0."]}),
        ({"label": "v2", "row_count": "many"}, {"row_count": ["A valid integer is required."]}),
        ({"label": "v2", "schema_summary": "email text"}, {"schema_summary": [
            "The schema summary must be a JSON object (column → type) or a list."
        ]}),
        ({"label": "v2", "parents": "v1"}, {"parents": ['Expected a list of items but got type "str".']}),
        ({"label": "v2", "transformation": "deduplicated"}, {"transformation": ["A transformation describes parents: name them too."]}),
        ({"label": "v2", "subject_keys": ["not an email"], "subject_key": "email"}, {"subject_keys": [
            "1 subject key is not valid. Line 1: 'not an email' is not an email address."
        ]}),
        ({"label": "v2", "subject_keys": ["c1"], "false_positive_rate": 0.7}, {"subject_keys": [
            "The false-positive rate must lie strictly between 0 and 0.5, for example 0.001."
        ]}),
        ({"label": "v2", "subject_keys": [], "subject_key": "email"}, {"subject_keys": ["The list of subject keys is empty."]}),
        ({"label": "v2", "subject_keys": ["c1"], "subject_key": "ssn"}, {"subject_key": [
            '"ssn" is not a valid code. Use one of: external_id, email, phone.'
        ]}),
        ({"label": "v2", "created_at": "yesterday"}, {"created_at": [
            "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ]}),
        ({"label": "v2", "source": "dvc"}, {"source": ["This field cannot be set: leave it out."]}),
    ],
)
def test_bad_versions_are_a_400_naming_each_field(writer, dataset, body, errors):
    client, _ = writer
    assert errors_of(send(client, "post", versions(), body)) == errors
    assert not DatasetVersion.objects.exists()


def test_a_label_is_used_once_per_dataset(writer, dataset, make_version):
    client, _ = writer
    make_version(dataset, "v1")
    assert errors_of(send(client, "post", versions(), {"label": "v1"})) == {
        "label": ["Dataset 'shop-customers' already has a version labelled 'v1'."]
    }


def test_an_archived_dataset_takes_no_version_409(writer, dataset):
    client, _ = writer
    archive_dataset(actor=None, dataset=dataset)
    response = send(client, "post", versions(), {"label": "v1"})
    assert response.status_code == 409
    assert response.json()["detail"] == "Dataset 'shop-customers' is archived: restore it before adding versions."


def test_scopes_and_sessions(key_client, dataset, steward, other_steward, make_dataset, dpo):
    reader, _ = key_client("reports:read")
    assert reader.get(versions()).status_code == 200
    refused = send(reader, "post", versions(), {"label": "v1"})
    assert refused.status_code == 403 and refused.json()["detail"] == "This API key lacks the scope registry:write."

    session = verified_client(steward)
    assert send(session, "post", versions(), {"label": "v1"}).status_code == 201
    assert DatasetVersion.objects.get().created_by == steward
    readable = make_dataset("Readable", owner=other_steward)
    grant_dataset_access(actor=dpo, dataset=readable, user=steward, level="view")
    assert send(session, "post", versions("readable"), {"label": "v1"}).status_code == 403
    hidden = make_dataset("Hidden", owner=other_steward)
    assert session.get(versions(hidden.slug)).status_code == 404


def test_the_list_takes_the_same_queries_at_10_and_200_versions(writer, dataset, django_assert_max_num_queries):
    client, _ = writer
    for count in (10, 200):
        VersionParent.objects.all().delete()
        DatasetVersion.objects.all().delete()
        rows = DatasetVersion.objects.bulk_create([DatasetVersion(dataset=dataset, label=f"v{n}") for n in range(count)])
        VersionParent.objects.bulk_create([VersionParent(child=child, parent=parent) for parent, child in zip(rows, rows[1:])])
        with django_assert_max_num_queries(7):
            response = client.get(versions(), {"limit": 1000})
        assert response.json()["count"] == count


def test_a_body_past_the_upload_limit_is_a_413_not_a_server_error(writer, dataset, settings):
    client, _ = writer
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = send(client, "post", versions(), {"label": "v1", "subject_keys": [f"c{n:06d}" for n in range(2_000)]})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than the 10,000 bytes the API accepts in one request.",
        "code": "payload_too_large",
    }
    assert not DatasetVersion.objects.exists()
