"""The Exports page and each register's download: status, content, what is left out, who may, and the audit event."""

import csv
import io
import json

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.exports import BYTE_ORDER_MARK
from compliance.audit.models import AuditEvent
from compliance.reports.exports.registers import REGISTERS
from datasets.services import grant_dataset_access
from tests.compliance.reports.conftest import EMAIL, NAME, PHONE, SECRET
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def download(client, register: str, format: str, **query):
    response = client.get(reverse("reports:export", args=[register, format]), query)
    text = b"".join(response.streaming_content).decode("utf-8") if response.streaming else response.content.decode()
    return response, text


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix(BYTE_ORDER_MARK), newline="")))


def jsonl_rows(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("register", sorted(REGISTERS))
@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_every_register_downloads_for_the_dpo_audited_and_without_identifiers_or_secrets(
    organisation, dpo, make_user, register, format
):
    # The DPO does not read staff training; a compliance manager does.
    exporter = make_user(Role.COMPLIANCE_MANAGER) if register == "training" else dpo
    response, text = download(verified_client(exporter), register, format)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="custos-{register}-')
    assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    rows = csv_rows(text) if format == "csv" else jsonl_rows(text)
    assert all(set(row) == set(REGISTERS[register].columns) for row in rows)
    if format == "csv":
        assert text.removeprefix(BYTE_ORDER_MARK).splitlines()[0].split(",") == list(REGISTERS[register].columns)
    for secret in (SECRET, EMAIL, PHONE, NAME, "Jane"):
        assert secret not in text, f"{secret!r} leaked into the {register} export"
    event = AuditEvent.objects.filter(action="export.downloaded").latest("sequence")
    assert event.data == {"register": register, "format": format, "filters": {}}
    assert event.actor_id == str(exporter.pk)


def test_the_datasets_export_quotes_a_formula_and_carries_the_registry_fields(organisation, dpo):
    _, text = download(verified_client(dpo), "datasets", "csv")
    shop = next(row for row in csv_rows(text) if row["slug"] == "shop")
    assert shop["name"] == "'=HYPERLINK(\"http://evil\")"
    assert (shop["purposes"], shop["retention_days"], shop["encryption_in_transit"], shop["location_count"]) == (
        "marketing", "365", "true", "1"
    )
    # JSON Lines keep the value as it is: no spreadsheet evaluates JSON.
    _, lines = download(verified_client(dpo), "datasets", "jsonl")
    shop = next(row for row in jsonl_rows(lines) if row["slug"] == "shop")
    assert shop["name"] == "=HYPERLINK(\"http://evil\")" and shop["retention_days"] == 365 and shop["purposes"] == ["marketing"]
    assert shop["created_at"].endswith("+00:00")


def test_locations_show_the_redacted_target_only(organisation, dpo):
    _, text = download(verified_client(dpo), "locations", "jsonl")
    [row] = jsonl_rows(text)
    assert row["dataset"] == "shop" and row["table"] == "public.customers"
    assert "***" in row["target"] and SECRET not in row["target"]
    assert "connection" not in row


def test_rights_requests_name_subjects_by_pseudonymous_id_only(organisation, dpo):
    _, text = download(verified_client(dpo), "rights-requests", "jsonl")
    rows = {row["kind"]: row for row in jsonl_rows(text)}
    assert rows["erasure"]["subject"] == "user-1" and rows["erasure"]["reference"] == f"#{organisation.erasure.pk}"
    # The access request names no known subject: only the (encrypted, never exported) email it was filed with.
    assert rows["access"]["subject"] == "" and rows["access"]["reference"] == f"#A{organisation.access.pk}"
    _, only_access = download(verified_client(dpo), "rights-requests", "csv", kind="access")
    assert [row["kind"] for row in csv_rows(only_access)] == ["access"]
    event = AuditEvent.objects.filter(action="export.downloaded").latest("sequence")
    assert event.data["filters"] == {"kind": "access"}


def test_consent_coverage_is_counts_per_purpose(organisation, auditor):
    _, text = download(verified_client(auditor), "consent-coverage", "jsonl")
    [row] = jsonl_rows(text)
    assert (row["purpose"], row["granted"], row["withdrawn"], row["no_answer"]) == ("marketing", 1, 0, 0)
    assert "user-1" not in text


def test_the_audit_log_export_is_oldest_first_with_hashes_and_filters(organisation, auditor):
    _, text = download(verified_client(auditor), "audit-log", "jsonl", action="dataset.")
    rows = jsonl_rows(text)
    assert rows and all(row["action"].startswith("dataset.") for row in rows)
    assert [row["sequence"] for row in rows] == sorted(row["sequence"] for row in rows)
    assert all(len(row["hash"]) == 64 for row in rows)


def test_a_steward_exports_only_the_datasets_granted_and_not_the_other_registers(organisation, dpo, make_user):
    steward = make_user(Role.DATA_STEWARD)
    grant_dataset_access(actor=dpo, dataset=organisation.other_dataset, user=steward, level="view")
    client = verified_client(steward)
    _, text = download(client, "datasets", "csv")
    assert [row["slug"] for row in csv_rows(text)] == ["clicks"]
    _, text = download(client, "locations", "jsonl")
    assert text == ""
    for register in ("audit-log", "rights-requests", "consent-coverage", "assessments", "evidence", "controls", "checks", "training"):
        response, _ = download(client, register, "csv")
        assert response.status_code == 404
    page = client.get(reverse("reports:export_list"))
    assert [register.name for register in page.context["registers"]] == ["datasets", "locations"]


def test_the_exports_page_lists_every_register_for_an_auditor_with_both_formats(auditor):
    response = verified_client(auditor).get(reverse("reports:export_list"))
    assert response.status_code == 200
    assert [register.name for register in response.context["registers"]] == list(REGISTERS)
    html = response.content.decode()
    for name in REGISTERS:
        assert reverse("reports:export", args=[name, "csv"]) in html
        assert reverse("reports:export", args=[name, "jsonl"]) in html


def test_an_employee_is_refused_the_exports_page(make_user):
    response = verified_client(make_user(Role.EMPLOYEE)).get(reverse("reports:export_list"))
    assert response.status_code == 403


@pytest.mark.parametrize(("register", "format"), [("secrets", "csv"), ("datasets", "xlsx")])
def test_an_unknown_register_or_format_is_not_found(dpo, register, format):
    response = verified_client(dpo).get(reverse("reports:export", args=[register, format]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


@pytest.mark.parametrize(
    ("register", "query", "message"),
    [
        ("audit-log", {"period_from": "31/01/2026"}, "Audit log: From: write a date as YYYY-MM-DD, for example 2026-01-31."),
        ("datasets", {"status": "deleted"}, "Datasets: Status: choose one of active, archived, not &#x27;deleted&#x27;."),
        ("rights-requests", {"status": "<script>"}, "Rights requests: Status: write a code (letters, digits, &#x27;.&#x27;, &#x27;-&#x27;, &#x27;_&#x27;), not &#x27;&lt;script&gt;&#x27;."),
    ],
)
def test_a_bad_filter_is_explained_on_the_exports_page_and_nothing_is_exported(dpo, register, query, message):
    response, text = download(verified_client(dpo), register, "csv", **query)
    assert response.status_code == 400
    assert message in text
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_the_navigation_offers_exports_to_those_who_may_export_something(make_user):
    from compliance.navigation import items_for

    def labels(role):
        return [item.label for item in items_for(make_user(role))]

    assert "Exports" in labels(Role.AUDITOR) and "Exports" in labels(Role.DATA_STEWARD)
    assert "Exports" not in labels(Role.EMPLOYEE) and "Exports" not in labels(Role.ML_ENGINEER)
