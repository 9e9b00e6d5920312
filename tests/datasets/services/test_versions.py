"""Registering versions by hand and from DVC, lineage edges and their loop refusal, membership filters."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from compliance.audit.models import AuditEvent
from datasets.membership import stored_filter_might_contain
from datasets.models import DatasetVersion, VersionParent
from datasets.services import (
    ParentLink,
    RegistryActionRefused,
    add_lineage_edge,
    attach_membership_filter,
    create_version,
    import_dvc_version,
)

pytestmark = pytest.mark.django_db

DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

DVC_FILE = """\
outs:
- md5: a304afb96060aad90176268345e10355
  size: 2048
  hash: md5
  path: customers.csv
"""

DVC_LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py --drop-minors
    deps:
    - path: data/customers.csv
      md5: a304afb96060aad90176268345e10355
      size: 2048
    - path: prepare.py
      md5: 0b7b0f6f8e2a5f3ad4b3c7c0f6bb1e11
      size: 310
    outs:
    - path: data/prepared
      md5: 3863d0e317dee0a55c4e59d2ec0eef33.dir
      size: 1900
      nfiles: 2
  report:
    cmd: python report.py
    outs:
    - path: report.json
      md5: 76d2c64c0f1b5a9e1d4a8a1c0c0c3e1a
      size: 120
"""


def test_a_version_records_its_facts_and_parents(dataset, make_dataset, dpo):
    v1 = create_version(actor=dpo, dataset=dataset, label="v1", content_digest="SHA256:" + DIGEST.upper(), row_count=40)
    other = make_dataset("Orders")
    o1 = create_version(actor=dpo, dataset=other, label="2026-03-01")

    v2 = create_version(
        actor=dpo,
        dataset=dataset,
        label="v2",
        parents=[ParentLink(version=v1, transformation="removed closed accounts"), o1, v1],
        schema_summary={"email": "text"},
    )

    assert v1.content_digest == DIGEST
    assert list(VersionParent.objects.filter(child=v2).order_by("parent_id").values_list("parent_id", "transformation")) == [
        (v1.pk, "removed closed accounts"),
        (o1.pk, ""),
    ]
    event = AuditEvent.objects.filter(action="dataset_version.created", target_id=str(v2.pk)).get()
    assert event.data["parents"] == [v1.pk, o1.pk]
    assert event.data["label"] == "v2"


def test_version_fields_are_validated(dataset, dpo):
    create_version(actor=dpo, dataset=dataset, label="v1")
    with pytest.raises(ValidationError) as excinfo:
        create_version(actor=dpo, dataset=dataset, label="v1", content_digest="abc", row_count=-1, schema_summary="email")
    assert excinfo.value.message_dict == {
        "label": ["Dataset 'shop-customers' already has a version labelled 'v1'."],
        "content_digest": ["The content digest must be a SHA-256: 64 hexadecimal digits."],
        "row_count": ["The row count must be at least 0."],
        "schema_summary": ["The schema summary must be a JSON object (column → type) or a list."],
    }
    with pytest.raises(ValidationError) as excinfo:
        create_version(actor=dpo, dataset=dataset, label="v 2/x")
    assert excinfo.value.message_dict["label"] == [
        "A version label is 1 to 100 letters, digits, dots, hyphens and underscores, starting with a letter or digit,"
        " for example v3 or 2026-03-01."
    ]


def test_a_steward_cannot_derive_from_a_dataset_they_cannot_see(dataset, make_dataset, other_steward, steward, dpo):
    hidden = create_version(actor=dpo, dataset=make_dataset("Hidden", owner=other_steward), label="v1")
    with pytest.raises(PermissionDenied, match="You may not derive from versions of dataset 'hidden'."):
        create_version(actor=steward, dataset=dataset, label="v1", parents=[hidden])
    assert not DatasetVersion.objects.filter(dataset=dataset).exists()


def test_lineage_edges_refuse_self_duplicates_and_loops(dataset, dpo):
    v1 = create_version(actor=dpo, dataset=dataset, label="v1")
    v2 = create_version(actor=dpo, dataset=dataset, label="v2", parents=[v1])
    v3 = create_version(actor=dpo, dataset=dataset, label="v3", parents=[v2])

    with pytest.raises(RegistryActionRefused, match="^A version cannot be derived from itself.$"):
        add_lineage_edge(actor=dpo, child=v1, parent=v1)
    with pytest.raises(RegistryActionRefused) as excinfo:
        add_lineage_edge(actor=dpo, child=v1, parent=v3)
    assert str(excinfo.value) == (
        "shop-customers@v3 is itself derived from shop-customers@v1, so shop-customers@v1 cannot be derived from it:"
        " lineage cannot loop."
    )
    with pytest.raises(RegistryActionRefused, match="shop-customers@v2 is already recorded as derived from shop-customers@v1."):
        add_lineage_edge(actor=dpo, child=v2, parent=v1)

    edge = add_lineage_edge(actor=dpo, child=v3, parent=v1, transformation="re-derived for audit")
    assert edge.transformation == "re-derived for audit"
    assert AuditEvent.objects.filter(action="dataset_version.lineage_added").get().data == {
        "child": v3.pk,
        "parent": v1.pk,
        "transformation": "re-derived for audit",
    }


def test_a_membership_filter_is_built_from_subject_keys(dataset, dpo):
    version = create_version(
        actor=dpo,
        dataset=dataset,
        label="v1",
        subject_keys=["Alice@Example.org", "bob@example.org", "", "alice@example.org "],
        subject_key="email",
        false_positive_rate=0.01,
    )

    membership = version.membership_filter
    assert membership.expected_items == 2
    assert stored_filter_might_contain(membership, "ALICE@example.org")
    assert stored_filter_might_contain(membership, "bob@example.org")
    # Stored as built: the filter's realised rate is at most its 1%, so over 20,000 absent values
    # (at most 200 expected, a deviation near 14) more than 1.5% answering "possibly present" is a bug.
    assert membership.probe_scheme == "shake256"
    assert (sum(bin(byte).count("1") for byte in bytes(membership.bits)) / membership.size_bits) ** membership.hash_count <= 0.01
    absent = sum(stored_filter_might_contain(membership, f"absent{n}@example.org") for n in range(20_000))
    assert absent <= 1.5 * 0.01 * 20_000
    payload = AuditEvent.objects.get(action="dataset_version.created").data["membership_filter"]
    assert payload["subjects"] == 2 and payload["false_positive_rate"] == 0.01
    assert "alice" not in str(AuditEvent.objects.get(action="dataset_version.created").data)


def test_bad_subject_keys_are_listed_with_their_lines_and_nothing_is_created(dataset, dpo):
    with pytest.raises(ValidationError) as excinfo:
        create_version(actor=dpo, dataset=dataset, label="v1", subject_keys=["+44 20 7946 0000", "+44 123", "abc"], subject_key="phone")
    assert excinfo.value.message_dict == {
        "subject_keys": [
            "2 subject keys are not valid. Line 2: '+44 123' is not a possible phone number."
            " Line 3: 'abc' is not a phone number; give it in international form, for example +44 20 7946 0000."
        ]
    }
    with pytest.raises(ValidationError) as excinfo:
        create_version(actor=dpo, dataset=dataset, label="v1", subject_keys=[], subject_key="email")
    assert excinfo.value.message_dict == {"subject_keys": ["The list of subject keys is empty."]}
    with pytest.raises(ValidationError) as excinfo:
        create_version(actor=dpo, dataset=dataset, label="v1", subject_keys=["a"], false_positive_rate=0.7)
    assert excinfo.value.message_dict == {
        "subject_keys": ["The false-positive rate must lie strictly between 0 and 0.5, for example 0.001."]
    }
    assert not DatasetVersion.objects.exists()


def test_a_dvc_file_becomes_a_version_with_its_path_hash_and_size(dataset, dpo):
    version = import_dvc_version(actor=dpo, dataset=dataset, label="v1", filename="customers.csv.dvc", content=DVC_FILE.encode())

    assert (version.source, version.source_path, version.source_hash, version.size_bytes) == (
        "dvc",
        "customers.csv",
        "md5:a304afb96060aad90176268345e10355",
        2048,
    )
    assert AuditEvent.objects.get(action="dataset_version.created").data["dvc"] == {
        "file": "customers.csv.dvc",
        "path": "customers.csv",
        "hash": "md5:a304afb96060aad90176268345e10355",
        "size": 2048,
        "stage": "",
    }


def test_a_dvc_lock_stage_links_its_dependencies_as_parents(dataset, make_dataset, dpo):
    raw = import_dvc_version(actor=dpo, dataset=dataset, label="raw", filename="customers.csv.dvc", content=DVC_FILE)
    prepared = import_dvc_version(
        actor=dpo, dataset=make_dataset("Prepared customers"), label="v1", filename="dvc.lock", content=DVC_LOCK, output_path="data/prepared"
    )

    assert prepared.source_hash == "md5:3863d0e317dee0a55c4e59d2ec0eef33.dir"
    edge = VersionParent.objects.get(child=prepared)
    assert edge.parent == raw
    assert edge.transformation == "DVC stage prepare: python prepare.py --drop-minors"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("x.dvc", "outs: [unclosed", "x.dvc is not valid YAML (line 1, column 16): expected ',' or ']', but got '<stream end>'."),
        ("x.dvc", "- just a list", "x.dvc is not a DVC file: it does not hold a YAML mapping."),
        ("x.dvc", "wdir: .", "x.dvc holds no outs list: is it a DVC file?"),
        ("x.dvc", "outs:\n- size: 3\n  md5: a304afb96060aad90176268345e10355", "Output 1 in x.dvc has no path."),
        ("x.dvc", "outs:\n- path: a.csv\n  md5: nothex", "Output 'a.csv' in x.dvc has no md5 hash DVC would write."),
        ("x.dvc", "outs:\n- path: a.csv\n  md5: a304afb96060aad90176268345e10355\n  size: big", "Output 'a.csv' in x.dvc has a size that is not a whole number of bytes: 'big'."),
        ("dvc.lock", "schema: '2.0'", "dvc.lock holds no stages: is it a dvc.lock file?"),
        ("dvc.lock", DVC_LOCK, "dvc.lock has 2 outputs (data/prepared, report.json): say which one this version is."),
        ("x.dvc", b"\xff\xfe", "x.dvc is not UTF-8 text."),
    ],
)
def test_malformed_dvc_files_are_refused_with_a_clear_message(dataset, dpo, filename, content, message):
    with pytest.raises(ValidationError) as excinfo:
        import_dvc_version(actor=dpo, dataset=dataset, label="v1", filename=filename, content=content)
    assert excinfo.value.message_dict == {"dvc_file": [message]}


def test_a_filter_can_be_attached_to_a_version_later_but_only_once(dataset, dpo):
    version = create_version(actor=dpo, dataset=dataset, label="v1")
    membership = attach_membership_filter(actor=dpo, version=version, subject_keys=["u1", "u2", "u3"], false_positive_rate=0.01)

    assert stored_filter_might_contain(membership, "u2") and membership.expected_items == 3
    event = AuditEvent.objects.get(action="dataset_version.membership_filter_added")
    assert event.data["membership_filter"]["subjects"] == 3 and event.data["label"] == "v1"
    with pytest.raises(RegistryActionRefused, match="^Version shop-customers@v1 already has a membership filter.$"):
        attach_membership_filter(actor=dpo, version=version, subject_keys=["u4"])
    with pytest.raises(ValidationError) as excinfo:
        attach_membership_filter(actor=dpo, version=create_version(actor=dpo, dataset=dataset, label="v2"), subject_keys=["a"], subject_key="ssn")
    assert excinfo.value.message_dict == {"subject_key": ["Unknown subject key 'ssn'. Use one of: external_id, email, phone."]}
