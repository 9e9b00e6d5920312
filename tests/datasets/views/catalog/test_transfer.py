"""Importing the catalog (check, then apply; all or nothing) and exporting it as CSV (audited, round-trips)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.catalog_sync import COLUMNS
from datasets.models import Dataset
from datasets.services import EDITABLE_FIELDS, grant_dataset_access

pytestmark = pytest.mark.django_db

IMPORT = reverse("datasets:import")
EXPORT = reverse("datasets:export")
CATALOG = (
    "name,slug,owner,data_categories,sensitivity,lawful_bases,retention_days\n"
    "Shop customers,shop-customers,steward,contact;identifiers,confidential,contract,730\n"
    "Newsletter,,,contact,public,consent,\n"
)


def upload(text: str, name: str = "catalog.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def exported(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_page_explains_the_columns(client_of, steward):
    response = client_of(steward).get(IMPORT)
    page = response.content.decode()
    assert response.status_code == 200
    assert "contact, identifiers, health, financial, biometric, location, behavioural, children, special_category" in page
    assert 'enctype="multipart/form-data"' in page


def test_checking_reports_what_would_happen_and_changes_nothing(client_of, steward):
    response = client_of(steward).post(IMPORT, {"file": upload(CATALOG), "action": "check"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "catalog.csv is ready to apply" in page
    assert "Applying it would create 2, update 0 and leave 0 datasets unchanged." in page
    assert not Dataset.objects.exists()
    # The checked file comes back with the Apply button, so it need not be chosen again.
    assert '<textarea name="content" hidden>\nname,slug,owner' in page


def test_applying_the_checked_file_creates_the_datasets(client_of, steward, last_event):
    client = client_of(steward)
    client.post(IMPORT, {"file": upload(CATALOG), "action": "check"})

    response = client.post(IMPORT, {"content": CATALOG.replace("\n", "\r\n"), "format": "csv", "filename": "catalog.csv", "action": "apply"}, follow=True)

    assert response.redirect_chain == [(reverse("datasets:list"), 302)]
    assert "Catalog catalog.csv applied: 2 created, 0 updated, 0 unchanged." in response.content.decode()
    shop = Dataset.objects.get(slug="shop-customers")
    assert (shop.owner, shop.data_categories, shop.retention_days) == (steward, ["contact", "identifiers"], 730)
    assert Dataset.objects.get(slug="newsletter").sensitivity == "public"
    assert last_event("datasets.imported").actor_id == str(steward.pk)


def test_applying_without_a_check(client_for):
    client, _ = client_for(Role.DPO)
    yaml_text = "datasets:\n  - name: Patients\n    data_categories: [health]\n    encryption_in_transit: true\n"
    response = client.post(IMPORT, {"file": upload(yaml_text, "catalog.yaml"), "action": "apply"})
    assert response.status_code == 302
    assert Dataset.objects.get().encryption_in_transit is True


def test_invalid_rows_are_listed_with_line_numbers_and_nothing_changes(client_of, steward, dataset):
    text = (
        "slug,name,sensitivity,retention_days,lawful_bases\n"
        "shop-customers,Renamed,,,\n"
        "\n"
        ",Bad sensitivity,secret,,\n"
        ",Bad days,,-5,consent;contracts\n"
    )
    response = client_of(steward).post(IMPORT, {"file": upload(text), "action": "apply"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was changed: 2 rows cannot be applied" in page
    errors = [(error.line, error.messages) for error in response.context["report"].errors]
    assert errors == [
        (4, {"sensitivity": ["Unknown sensitivity 'secret'. Use one of: public, internal, confidential, restricted."]}),
        (
            5,
            {
                "lawful_bases": [
                    "Unknown lawful bases: contracts. Use codes from: consent, contract, legal_obligation, vital_interests,"
                    " public_task, legitimate_interests."
                ],
                "retention_days": ["The retention period in days must be at least 1."],
            },
        ),
    ]
    assert "<td>4</td>" in page and "<td>5</td>" in page
    dataset.refresh_from_db()
    assert dataset.name == "Shop customers" and Dataset.objects.count() == 1


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (lambda: upload("name\nCafé\n", encoding="latin-1"), "The file is not UTF-8 text (byte 9 cannot be read)."),
        (lambda: upload("name\nShop\n", "catalog.xlsx"), "Upload a .csv, .yaml or .yml file; &#x27;catalog.xlsx&#x27; is none of them."),
        (lambda: upload("- name: [\n", "catalog.yml"), "The file is not valid YAML at line 2"),
        (lambda: upload("%PDF-1.4\n\x00\x01binary", "catalog.csv"), "The file holds binary data, not text."),
        (lambda: upload("name\n" + "x" * (2 * 1024 * 1024)), "The file is 2.0 MB; the limit is 2 MB. Split the catalog into smaller files."),
        (lambda: upload(""), "The file is empty: its first line must name the columns"),
        (lambda: None, "Choose a catalog file to upload: CSV or YAML, up to 2 MB."),
    ],
)
def test_files_that_cannot_be_read_are_explained_never_a_server_error(file, message, client_for):
    client, _ = client_for(Role.DPO)
    data = {"action": "check"}
    if (uploaded := file()) is not None:
        data["file"] = uploaded
    response = client.post(IMPORT, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Dataset.objects.exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPLIANCE_MANAGER, Role.EMPLOYEE, Role.ML_ENGINEER])
def test_only_those_who_register_datasets_may_import(role, client_for):
    client, _ = client_for(role)
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": upload(CATALOG), "action": "apply"}).status_code == 403
    assert not Dataset.objects.exists()


# --- Export ---------------------------------------------------------------------------------


def test_the_export_is_a_streamed_csv_attachment_and_an_audit_event(client_for, dataset, make_dataset, last_event):
    make_dataset("Patients", data_categories=["health"])
    client, user = client_for(Role.AUDITOR)

    response = client.get(EXPORT, {"category": "contact"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="custos-datasets-')
    rows = exported(response)
    assert [row["slug"] for row in rows] == ["shop-customers"]
    assert rows[0]["owner"] == "steward" and rows[0]["data_categories"] == "contact" and rows[0]["regulations"] == "gdpr"
    event = last_event("datasets.exported")
    assert (event.actor_id, event.data["count"], event.data["filters"]) == (str(user.pk), 1, {"category": "contact"})


def test_every_export_is_recorded(client_for, dataset):
    client, _ = client_for(Role.DPO)
    for _ in range(3):
        b"".join(client.get(EXPORT).streaming_content)
    assert AuditEvent.objects.filter(action="datasets.exported").count() == 3


def test_a_steward_exports_only_what_it_may_see(client_of, dataset, make_dataset, steward, other_steward):
    make_dataset("Theirs", owner=other_steward)
    shared = make_dataset("Shared", owner=other_steward)
    grant_dataset_access(actor=other_steward, dataset=shared, user=steward, level="view")
    assert sorted(row["name"] for row in exported(client_of(steward).get(EXPORT))) == ["Shared", "Shop customers"]


def test_bad_export_filters_send_back_to_the_list(client_for):
    client, _ = client_for(Role.DPO)
    response = client.get(EXPORT, {"sensitivity": "secret"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("datasets:list") + "?sensitivity=secret"
    page = response.content.decode()
    assert "Correct the filters before exporting." in page and "That choice is not in the list" in page
    assert not AuditEvent.objects.filter(action="datasets.exported").exists()


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.ML_ENGINEER])
def test_employees_and_engineers_cannot_export(role, client_for, dataset):
    client, _ = client_for(role)
    assert client.get(EXPORT).status_code == 403


def test_export_then_import_round_trips(client_for, make_dataset, steward):
    make_dataset(
        "Clinic visits",
        owner=steward,
        description='Visits, with "quotes", commas\nand a second line.',
        data_categories=["health", "children"],
        sensitivity="restricted",
        subject_jurisdictions=["US", "US-CA"],
        regulations=["hipaa"],
        lawful_bases=["vital_interests", "consent"],
        purposes=["care", "model-training"],
        retention_days=3650,
        retention_action="anonymise",
        source="=cmd|' /C calc'!A0",
        collection_channel="Front desk",
        encryption_at_rest="AES-256-GCM",
        encryption_in_transit=True,
        anonymisation_technique="differential_privacy",
        anonymisation_epsilon=0.3,
        anonymisation_delta=1e-06,
        privacy_budget_epsilon=12.5,
    )
    make_dataset("K-anonymous", anonymisation_technique="k_anonymity", anonymisation_k=5, subject_jurisdictions=["DE"])
    make_dataset("Bare")
    client, _ = client_for(Role.DPO)
    before = {d.slug: {name: getattr(d, name) for name in EDITABLE_FIELDS} for d in Dataset.objects.all()}

    text = b"".join(client.get(EXPORT).streaming_content).decode("utf-8")
    assert text.splitlines()[0] == "\ufeff" + ",".join(COLUMNS)

    unchanged = client.post(IMPORT, {"file": upload(text, "export.csv"), "action": "apply"}, follow=True)
    assert "Catalog export.csv applied: 0 created, 0 updated, 3 unchanged." in unchanged.content.decode()

    Dataset.objects.all().delete()
    recreated = client.post(IMPORT, {"file": upload(text, "export.csv"), "action": "apply"}, follow=True)
    assert "3 created" in recreated.content.decode()
    after = {d.slug: {name: getattr(d, name) for name in EDITABLE_FIELDS} for d in Dataset.objects.all()}
    assert after == before
