"""The versions pages: the tab with its lineage, registering by hand and from DVC, the version page and its SVG."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.models import DatasetVersion, VersionParent, VersionSource
from datasets.services import ParentLink, archive_dataset, create_model, register_training_run
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
DVC_FILE = b"""\
outs:
- md5: a304afb96060aad90176268345e10355
  size: 2048
  hash: md5
  path: customers.csv
"""


def url(name: str, dataset, **kwargs) -> str:
    return reverse(f"versions:{name}", kwargs={"dataset_slug": dataset.slug, **kwargs})


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def keys_file(*lines: str, name: str = "subjects.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join(lines).encode(), content_type="text/plain")


# --- The tab -------------------------------------------------------------------------------


def test_the_tab_lists_versions_with_their_facts_and_draws_the_lineage(steward, dataset, make_version, make_dataset, other_steward):
    hidden = make_dataset("Secret partner data", owner=other_steward)
    theirs = make_version(hidden, "p1")
    v1 = make_version(dataset, "v1", content_digest=DIGEST, row_count=40, subject_keys=["c1", "c2"])
    make_version(dataset, "v2", parents=[ParentLink(version=v1, transformation="dropped minors"), theirs])

    response = verified_client(steward).get(url("list", dataset))

    page = response.content.decode()
    assert response.status_code == 200
    assert [version.label for version in response.context["page"]] == ["v2", "v1"]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="lineage"' in page
    assert url("detail", dataset, label="v1") in page
    assert f'<code title="sha256:{DIGEST}">{DIGEST[:12]}</code>' in page
    assert '<span class="badge badge-ok">Yes</span>' in page and '<span class="badge">No</span>' in page
    # The other steward's dataset is part of the lineage but named nowhere.
    assert "Secret partner data" not in page and hidden.slug not in page
    assert "a version of a dataset not shared with you" in page
    assert 'aria-current="page">Versions &amp; lineage<' in page


def test_only_those_who_may_edit_see_the_register_buttons(client_for, dataset, steward):
    auditor, _ = client_for(Role.AUDITOR)
    assert "Register a version" not in auditor.get(url("list", dataset)).content.decode()
    assert "Register a version" in verified_client(steward).get(url("list", dataset)).content.decode()


def test_a_steward_without_a_grant_cannot_find_the_versions(other_steward, dataset, make_version):
    make_version(dataset, "v1")
    client = verified_client(other_steward)
    assert client.get(url("list", dataset)).status_code == 404
    assert client.get(url("detail", dataset, label="v1")).status_code == 404
    assert client.get(url("lineage_svg", dataset, label="v1")).status_code == 404


@pytest.mark.parametrize("count", [10, 1000])
def test_the_tab_takes_constant_queries(count, steward, dataset, make_version, django_assert_max_num_queries):
    first = make_version(dataset, "v0000")
    DatasetVersion.objects.bulk_create(DatasetVersion(dataset=dataset, label=f"v{n:04d}") for n in range(1, count))
    children = DatasetVersion.objects.filter(dataset=dataset).exclude(pk=first.pk)
    VersionParent.objects.bulk_create(VersionParent(child=child, parent=first) for child in children)
    client = verified_client(steward)

    # 21 before staff training, plus the shell's training-roster lookup (My training, the gate).
    with django_assert_max_num_queries(22):
        response = client.get(url("list", dataset))

    assert response.status_code == 200 and len(response.context["page"]) == min(count, 50)


# --- Registering by hand --------------------------------------------------------------------


def test_the_owner_registers_a_version_with_parents_and_a_membership_filter(steward, dataset, make_version):
    v1 = make_version(dataset, "v1")
    client = verified_client(steward)
    response = client.post(
        url("create", dataset),
        {
            "label": "v2",
            "content_digest": DIGEST,
            "row_count": "38",
            "schema_summary": '{"email": "text"}',
            "parents": [v1.pk],
            "transformation": "dropped rows of minors",
            "subject_keys_file": keys_file("c0001", "c0002", "c0003"),
            "subject_key": "external_id",
            "false_positive_rate": "0.01",
        },
    )

    version = DatasetVersion.objects.get(dataset=dataset, label="v2")
    assert response.status_code == 302 and response["Location"] == url("detail", dataset, label="v2")
    assert (version.content_digest, version.row_count, version.schema_summary) == (DIGEST, 38, {"email": "text"})
    assert VersionParent.objects.get(child=version).transformation == "dropped rows of minors"
    assert version.membership_filter.expected_items == 3 and version.membership_filter.false_positive_rate == 0.01
    (event,) = events("dataset_version.created")[-1:]
    assert event.data["label"] == "v2" and event.data["membership_filter"]["subjects"] == 3
    assert "c0001" not in json.dumps(event.data)
    assert "Version v2 of Shop customers registered." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("schema_summary", '{"email": ', "Schema summary must be valid JSON: Expecting value (line 1, column 10)."),
        ("schema_summary", '"text"', "The schema summary must be a JSON object (column → type) or a list."),
        ("label", "new", "'new' is the address of a page here: choose another label, for example vnew."),
        ("label", "v 1", "A version label is 1 to 100 letters, digits, dots, hyphens and underscores"),
        ("content_digest", "abc", "The content digest must be a SHA-256: 64 hexadecimal digits."),
        ("row_count", "-1", "The row count cannot be negative."),
    ],
)
def test_bad_input_is_shown_on_its_field(field, value, message, steward, dataset):
    data = {"label": "v1", "subject_key": "external_id", "false_positive_rate": "0.001", field: value}

    response = verified_client(steward).post(url("create", dataset), data)

    assert response.status_code == 200
    assert any(error.startswith(message) for error in response.context["form"].errors[field])
    assert not DatasetVersion.objects.filter(dataset=dataset).exists()


def test_a_taken_label_and_bad_subject_keys_are_refused_with_the_services_words(steward, dataset, make_version):
    make_version(dataset, "v1")
    response = verified_client(steward).post(
        url("create", dataset),
        {"label": "v1", "subject_keys_file": keys_file("a@example.org", "not-an-email"), "subject_key": "email", "false_positive_rate": "0.001"},
    )

    errors = response.context["form"].errors
    assert errors["label"] == ["Dataset 'shop-customers' already has a version labelled 'v1'."]
    assert errors["subject_keys_file"] == ["1 subject key is not valid. Line 2: 'not-an-email' is not an email address."]


def test_a_subject_keys_file_that_is_not_text_is_refused(steward, dataset):
    upload = SimpleUploadedFile("keys.bin", b"\xff\xfe\x00binary", content_type="application/octet-stream")
    response = verified_client(steward).post(
        url("create", dataset), {"label": "v1", "subject_keys_file": upload, "subject_key": "external_id", "false_positive_rate": "0.001"}
    )
    assert response.context["form"].errors["subject_keys_file"] == [
        "keys.bin is not UTF-8 text: save it as plain text, one identifier per line."
    ]


def test_parents_offered_are_the_versions_the_user_may_see(steward, dataset, make_version, make_dataset, other_steward):
    make_version(dataset, "v1")
    make_version(make_dataset("Hidden", owner=other_steward), "h1")

    form = verified_client(steward).get(url("create", dataset)).context["form"]

    assert [str(choice[1]) for choice in form.fields["parents"].choices] == ["Shop customers @ v1"]


def test_readers_may_not_open_the_form(client_for, dataset):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    assert client.get(url("create", dataset)).status_code == 403
    assert client.post(url("create", dataset), {"label": "v1"}).status_code == 403
    assert events("auth.permission_denied")


def test_an_archived_dataset_takes_no_version(steward, dataset, dpo):
    archive_dataset(actor=dpo, dataset=dataset)
    response = verified_client(steward).post(url("create", dataset), {"label": "v1", "subject_key": "external_id", "false_positive_rate": "0.001"})
    assert response.context["form"].non_field_errors() == ["Dataset 'shop-customers' is archived: restore it before adding versions."]


# --- DVC ----------------------------------------------------------------------------------


def test_a_dvc_file_becomes_a_version(steward, dataset):
    response = verified_client(steward).post(
        url("import_dvc", dataset), {"label": "v7", "dvc_file": SimpleUploadedFile("customers.csv.dvc", DVC_FILE)}
    )

    version = DatasetVersion.objects.get(dataset=dataset, label="v7")
    assert response.status_code == 302
    assert (version.source, version.source_path, version.source_hash, version.size_bytes) == (
        VersionSource.DVC,
        "customers.csv",
        "md5:a304afb96060aad90176268345e10355",
        2048,
    )
    assert events("dataset_version.created")[-1].data["dvc"]["file"] == "customers.csv.dvc"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("data.dvc", b"outs: [unclosed", "data.dvc is not valid YAML (line 1, column 16): expected ',' or ']', but got '<stream end>'."),
        ("data.dvc", b"- just a list", "data.dvc is not a DVC file: it does not hold a YAML mapping."),
        ("data.dvc", b"outs:\n- path: x.csv\n", "Output 'x.csv' in data.dvc has no md5 hash DVC would write."),
        ("dvc.lock", b"schema: '2.0'\n", "dvc.lock holds no stages: is it a dvc.lock file?"),
        ("notes.txt", DVC_FILE, "notes.txt is neither a .dvc file nor dvc.lock: upload the file DVC wrote."),
    ],
)
def test_malformed_dvc_files_are_refused_clearly(name, content, message, steward, dataset):
    response = verified_client(steward).post(url("import_dvc", dataset), {"label": "v1", "dvc_file": SimpleUploadedFile(name, content)})

    assert response.status_code == 200
    assert response.context["form"].errors["dvc_file"] == [message]
    assert not DatasetVersion.objects.filter(dataset=dataset).exists()


# --- The version page ------------------------------------------------------------------------


def test_the_version_page_shows_facts_lineage_filter_and_runs(steward, dataset, make_version, engineer):
    v1 = make_version(dataset, "v1", subject_keys=["c1", "c2"], schema_summary={"email": "text"})
    v2 = make_version(dataset, "v2", parents=[ParentLink(version=v1, transformation="dedupe")])
    model = create_model(actor=engineer, name="Churn predictor")
    run = register_training_run(actor=engineer, model=model, dataset_versions=[v1], started_at=v1.created_at)

    response = verified_client(steward).get(url("detail", dataset, label="v1"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<g class="lineage-node lineage-focus" data-version="%d">' % v1.pk in page
    assert f'<a href="{url("detail", dataset, label="v2")}">' in page
    assert "dedupe" in page and "&quot;email&quot;: &quot;text&quot;" in page
    assert "<dt>Subjects (n)</dt><dd>2</dd>" in page and "<dt>False-positive rate</dt><dd>0.1%</dd>" in page
    assert "Was this subject in this version?" in page
    # The steward cannot open the engineer's model: the run is named, not linked.
    assert "Churn predictor" in page and reverse("models:run_detail", kwargs={"pk": run.pk}) not in page
    assert v2.pk in {edge.child_id for edge in response.context["children"]}


def test_a_version_without_a_filter_offers_to_attach_one_to_its_editors_only(steward, dataset, make_version, client_for):
    make_version(dataset, "v1")
    assert "Attach a membership filter" in verified_client(steward).get(url("detail", dataset, label="v1")).content.decode()
    auditor, _ = client_for(Role.AUDITOR)
    page = auditor.get(url("detail", dataset, label="v1")).content.decode()
    assert "has no membership filter" in page and "Attach a membership filter" not in page


# --- Membership ----------------------------------------------------------------------------


def test_a_membership_check_answers_without_keeping_the_identifier(steward, dataset, make_version):
    # So low a rate that bob's "not present" cannot be a false positive, whatever the key.
    people = ["ada@example.org"] + [f"person{n}@example.org" for n in range(50)]
    make_version(dataset, "v1", subject_keys=people, subject_key="email", false_positive_rate=1e-9)
    client = verified_client(steward)

    present = client.post(url("membership_check", dataset, label="v1"), {"subject_key": "email", "value": "Ada@Example.org"}, follow=True)
    absent = client.post(url("membership_check", dataset, label="v1"), {"subject_key": "email", "value": "bob@example.org"}, follow=True)

    assert "Possibly present (false-positive rate 0.0000001%) in shop-customers@v1." in present.content.decode()
    assert "Not present in shop-customers@v1." in absent.content.decode()
    checks = events("dataset_version.membership_checked")
    assert [event.data["answer"] for event in checks] == ["possibly_present", "not_present"]
    assert checks[0].data == {"dataset": "shop-customers", "label": "v1", "subject_key": "email", "answer": "possibly_present"}
    for event in AuditEvent.objects.all():
        assert "ada@example.org" not in json.dumps(event.data).lower() and "bob@" not in json.dumps(event.data)


def test_a_membership_check_refuses_an_identifier_of_the_wrong_shape_or_kind(steward, dataset, make_version):
    make_version(dataset, "v1", subject_keys=["ada@example.org"], subject_key="email")
    client = verified_client(steward)

    malformed = client.post(url("membership_check", dataset, label="v1"), {"subject_key": "email", "value": "ada"})
    wrong_kind = client.post(url("membership_check", dataset, label="v1"), {"subject_key": "phone", "value": "+44 20 7946 0000"})

    assert malformed.context["check_form"].errors["value"] == ["'ada' is not an email address."]
    assert wrong_kind.context["check_form"].non_field_errors() == [
        "The membership filter of shop-customers@v1 is keyed by email address: look the subject up by their email address."
    ]
    assert not events("dataset_version.membership_checked")


def test_the_owner_attaches_a_filter_and_readers_may_not(steward, dataset, make_version, client_for):
    make_version(dataset, "v1")
    auditor, _ = client_for(Role.AUDITOR)
    data = {"subject_key": "external_id", "false_positive_rate": "0.001"}
    assert auditor.post(url("membership_attach", dataset, label="v1"), {**data, "subject_keys_file": keys_file("c1")}).status_code == 403

    response = verified_client(steward).post(
        url("membership_attach", dataset, label="v1"), {**data, "subject_keys_file": keys_file("c1", "c2", "c2")}, follow=True
    )

    assert "Membership filter attached to shop-customers@v1: 2 subjects, false-positive rate 0.1%." in response.content.decode()
    assert events("dataset_version.membership_filter_added")[-1].data["membership_filter"]["subjects"] == 2


def test_attaching_a_second_filter_is_refused(steward, dataset, make_version):
    make_version(dataset, "v1", subject_keys=["c1"])
    response = verified_client(steward).post(
        url("membership_attach", dataset, label="v1"),
        {"subject_keys_file": keys_file("c9"), "subject_key": "external_id", "false_positive_rate": "0.001"},
    )
    assert response.context["attach_form"].non_field_errors() == ["Version shop-customers@v1 already has a membership filter."]


def test_an_empty_keys_file_is_refused_on_its_field(steward, dataset, make_version):
    make_version(dataset, "v1")
    response = verified_client(steward).post(
        url("membership_attach", dataset, label="v1"),
        {"subject_keys_file": keys_file("", " "), "subject_key": "external_id", "false_positive_rate": "0.7"},
    )
    errors = response.context["attach_form"].errors
    assert errors["false_positive_rate"] == ["The false-positive rate must lie strictly between 0 and 0.5, for example 0.001."]


# --- The SVG --------------------------------------------------------------------------------


def test_the_lineage_svg_stands_alone(steward, dataset, make_version, make_dataset, other_steward):
    hidden = make_version(make_dataset("Secret partner data", owner=other_steward), "p1")
    v1 = make_version(dataset, "v1", parents=[ParentLink(version=hidden, transformation="their note")])
    make_version(hidden.dataset, "p2", parents=[ParentLink(version=v1, transformation="secret plan")])

    response = verified_client(steward).get(url("lineage_svg", dataset, label="v1"))

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<script" not in body.lower() and "style=" not in body
    assert f'data-version="{v1.pk}"' in body
    assert "Secret partner data" not in body and ">p1<" not in body and ">p2<" not in body
    # A note on an edge into a hidden version is its owner's: dropped.
    assert "secret plan" not in body
    # The note on the edge into v1 is its own owner's, so it stays.
    assert "A version of a dataset not shared with you → shop-customers@v1: their note" in body
