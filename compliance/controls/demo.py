"""Demo compliance programme for ``manage.py seed_demo``: a GDPR assessment under way, with evidence.

So that a newcomer's ``make run`` shows scores, flags and evidence rather than
empty pages: the demo compliance manager has started this year's GDPR
assessment, marked a few requirements, and uploaded two pieces of evidence —
the record of processing exported from the demo registry (current) and an
incident response plan whose review date has passed (so "evidence expired"
shows). Idempotent: an assessment with the demo title is left alone.
"""

import csv
import io
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from compliance.accounts.models import User
from compliance.controls.models import Assessment, AssessmentStatus, Control, Framework, Requirement
from compliance.controls.services import create_assessment, update_requirement_assessment, upload_evidence

DEMO_TITLE = "GDPR organisation assessment"
DEMO_OWNER = "manager"

# ref: (status, justification, notes)
DEMO_STATUSES: dict[str, tuple[str, str, str]] = {
    "Art. 5(1)(a)": (AssessmentStatus.COMPLIANT, "", "Lawful bases recorded per dataset in the registry."),
    "Art. 5(1)(b)": (AssessmentStatus.COMPLIANT, "", "Purposes registered and linked to consent notices."),
    "Art. 5(1)(c)": (AssessmentStatus.PARTIALLY_COMPLIANT, "", "Clickstream keeps full URLs; trimming planned for Q3."),
    "Art. 5(1)(e)": (AssessmentStatus.NON_COMPLIANT, "", "Two datasets have no retention period."),
    "Art. 8(1)": (
        AssessmentStatus.NOT_APPLICABLE,
        "No information society service is offered directly to children; the learning app is sold to schools.",
        "",
    ),
    "Art. 17(1)": (AssessmentStatus.COMPLIANT, "", "Erasure runs across every registered store; see the certificates."),
    "Art. 30(1)": (AssessmentStatus.COMPLIANT, "", "Exported from the registry each quarter."),
    "Art. 33(1)": (AssessmentStatus.COMPLIANT, "", "Incident plan approved by the board."),
    "Art. 35(1)": (AssessmentStatus.IN_PROGRESS, "", "DPIA for the readmission-risk model in review."),
}


def _records_of_processing() -> bytes:
    """Return the demo registry's record of processing activities as CSV (GDPR Art. 30(1))."""
    from datasets.models import Dataset  # controls reads the registry only for this demo export

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["dataset", "purposes", "lawful bases", "data categories", "retention (days)", "encryption at rest"])
    for dataset in Dataset.objects.order_by("name"):
        writer.writerow(
            [
                dataset.name,
                "; ".join(dataset.purposes),
                "; ".join(dataset.lawful_bases),
                "; ".join(dataset.data_categories),
                dataset.retention_days or "",
                dataset.encryption_at_rest or "none",
            ]
        )
    return out.getvalue().encode()


def _incident_plan_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(
        string=(
            "<h1>Incident response plan</h1><p>Version 3, reviewed yearly.</p>"
            "<ol><li>Contain and record the incident.</li><li>Assess the risk to people within 24 hours.</li>"
            "<li>Notify the supervisory authority within 72 hours of awareness when there is a risk.</li>"
            "<li>Tell the people affected without undue delay when the risk is high.</li></ol>"
        )
    ).write_pdf()


def _requirement(framework: Framework, ref: str) -> Requirement:
    return Requirement.objects.get(framework=framework, ref=ref)


@transaction.atomic
def seed_controls_demo() -> tuple[int, int]:
    """Create the demo GDPR assessment, its statuses and evidence where missing; return (created, kept)."""
    if Assessment.objects.filter(title=DEMO_TITLE).exists():
        return 0, 1
    framework = Framework.objects.get(code="gdpr")
    manager = User.objects.get(username=DEMO_OWNER)
    today = timezone.localdate()
    assessment = create_assessment(
        actor=manager,
        framework=framework,
        title=DEMO_TITLE,
        scope="organisation",
        period_start=date(today.year, 1, 1),
        period_end=date(today.year, 12, 31),
        owner=manager,
    )
    rows = {row.requirement.ref: row for row in assessment.items.select_related("requirement").filter(requirement__ref__in=DEMO_STATUSES)}
    for ref, (status, justification, notes) in DEMO_STATUSES.items():
        update_requirement_assessment(
            actor=manager, item=rows[ref], status=status, justification=justification, owner=manager, notes=notes
        )
    upload_evidence(
        actor=manager,
        file=SimpleUploadedFile("records-of-processing.csv", _records_of_processing(), "text/csv"),
        title="Record of processing activities (registry export)",
        effective_date=today,
        expires_on=today + timedelta(days=365),
        controls=list(Control.objects.filter(code="CTL-ROP-01")),
        requirements=[_requirement(framework, "Art. 30(1)")],
    )
    upload_evidence(
        actor=manager,
        file=SimpleUploadedFile("incident-response-plan.pdf", _incident_plan_pdf(), "application/pdf"),
        title="Incident response plan v3",
        description="Due for its yearly review: the approval has lapsed.",
        effective_date=today - timedelta(days=400),
        expires_on=today - timedelta(days=35),
        requirements=[_requirement(framework, "Art. 33(1)")],
    )
    return 1, 0
