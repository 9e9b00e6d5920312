"""The compliance registers with data: assessments with statuses and the one score, evidence metadata, controls and checks."""

import json

import pytest
from django.urls import reverse

from compliance.audit.actors import SystemActor
from compliance.controls import check_services
from compliance.controls import services as controls_services
from compliance.controls.models import Control, Framework, RequirementAssessment
from compliance.controls.scoring import assessment_score
from tests.compliance.controls.conftest import load, make_assessment, requirement, upload
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def jsonl(client, register: str) -> list[dict]:
    response = client.get(reverse("reports:export", args=[register, "jsonl"]))
    assert response.status_code == 200
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]


@pytest.fixture
def programme(manager_user):
    load()
    assessment = make_assessment(Framework.objects.get(code="demo"), manager_user)
    item = RequirementAssessment.objects.get(assessment=assessment, requirement=requirement("Art. 1(1)"))
    controls_services.update_requirement_assessment(actor=manager_user, item=item, status="compliant")
    evidence = upload(
        manager_user,
        name="../../home/jane/Desktop/+policy.pdf",
        controls=[Control.objects.get(code="CTL-ENC-01")],
        requirements=[requirement("Art. 1(1)")],
    )
    check_services.run_checks(actor=SystemActor("tests"), keys=["datasets.personal_data_encrypted"])
    return assessment, evidence


@pytest.fixture
def manager_user(make_user):
    from compliance.accounts.roles import Role

    return make_user(Role.COMPLIANCE_MANAGER, username="manager")


def test_assessments_export_each_requirement_status_with_the_one_score(programme, auditor):
    assessment, _ = programme
    rows = jsonl(verified_client(auditor), "assessments")
    assert {row["assessment_id"] for row in rows} == {assessment.pk}
    compliant = next(row for row in rows if row["requirement"] == "Art. 1(1)")
    assert compliant["status"] == "compliant" and compliant["framework"] == "demo"
    assert compliant["assessment_score_percent"] == round(assessment_score(assessment=assessment).percent, 1)
    assert len(rows) == RequirementAssessment.objects.filter(assessment=assessment).count()


def test_evidence_exports_metadata_with_the_sanitised_file_name_and_links(programme, auditor):
    _, evidence = programme
    [row] = jsonl(verified_client(auditor), "evidence")
    assert row["uid"] == str(evidence.uid) and row["sha256"] == evidence.sha256
    # The name the pages show: no folders from the uploader's disk, and never the stored name.
    assert row["file_name"] == "+policy.pdf" and "jane" not in json.dumps(row)
    assert evidence.stored_name not in json.dumps(row)
    assert row["controls"] == ["CTL-ENC-01"] and row["requirements"] == ["demo:Art. 1(1)"]
    csv_text = b"".join(
        verified_client(auditor).get(reverse("reports:export", args=["evidence", "csv"])).streaming_content
    ).decode()
    assert ",'+policy.pdf," in csv_text


def test_controls_and_checks_export_with_the_latest_results(programme, auditor):
    client = verified_client(auditor)
    controls = {row["code"]: row for row in jsonl(client, "controls")}
    encryption = controls["CTL-ENC-01"]
    assert encryption["checks"] == ["datasets.personal_data_encrypted"]
    assert encryption["requirements"] == ["demo:Art. 1(1)"]
    [result] = encryption["latest_check_results"]
    assert result.startswith("datasets.personal_data_encrypted=") and not result.endswith("=not_run")
    checks = {row["check"]: row for row in jsonl(client, "checks")}
    ran = checks["datasets.personal_data_encrypted"]
    assert ran["status"] in ("pass", "fail", "no_data") and ran["run_by"] and ran["ran_at"]
    assert "CTL-ENC-01" in ran["controls"]
    assert any(row["status"] == "not_run" for row in checks.values())


def test_training_exports_completion_per_course_without_employees(auditor, manager_user):
    from compliance.staff_training import services as training_services

    training_services.create_course(actor=manager_user, code="gdpr-basics", title="GDPR basics")
    rows = jsonl(verified_client(auditor), "training")
    course = next(row for row in rows if row["code"] == "gdpr-basics")
    assert course["kind"] == "course" and course["title"] == "GDPR basics"
    assert (course["required"], course["completed"], course["overdue"]) == (0, 0, 0)
    assert course["completed_percent"] is None
