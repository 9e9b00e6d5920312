"""The auditor's workspace: every register read-only, the audit chain's status and last signed head, assessments with evidence.

Auditors read everything that is not personal data and change nothing: the
workspace only links to the read-only lists (identifiers stay masked there) and
shows integrity facts. A constant number of queries whatever the data size.
"""

from dataclasses import dataclass, field

from django.http import Http404

from compliance.audit import selectors as audit_selectors
from compliance.controls import check_selectors, scoring, selectors as control_selectors
from compliance.reports.dashboard_selectors import url
from compliance.reports.models import AuditReport

VIEW_WORKSPACE = "reports.view_workspace"
CHAIN_CHECK = "audit.chain_verifies"
ASSESSMENTS_SHOWN = 25

# (label, URL name, query, permission, what it holds) — read-only lists; a link shows only if the reader may open it.
REGISTERS = [
    ("Datasets", "datasets:list", {"status": "all"}, "datasets.view_dataset", "What personal data is held, why, how long, where, how protected."),
    ("Models and training runs", "models:list", {}, "datasets.view_mlmodel", "Models, the dataset versions they were trained on, privacy technique, erasure flags."),
    ("Purposes and consent coverage", "consent:purpose_list", {}, "consent.view_purpose", "Purposes, notices and how many subjects consent (counts, no identifiers)."),
    ("Data subjects", "consent:subject_search", {}, "consent.view_datasubject", "Pseudonymous ids; identifiers stay masked."),
    ("Erasure requests", "erasure:request_list", {}, "erasure.view_erasurerequest", "Requests, their statutory clocks, steps and certificates."),
    ("Access requests", "erasure:access_list", {}, "erasure.view_accessrequest", "Subject access requests and their clocks."),
    ("Legal holds", "erasure:hold_list", {}, "erasure.view_legalhold", "Holds that stop erasure."),
    ("Frameworks", "controls:framework_list", {}, "controls.view_framework", "GDPR, HIPAA and CCPA requirements as data."),
    ("Controls", "controls:control_list", {}, "controls.view_control", "Controls, their owners and automated status."),
    ("Assessments", "controls:assessment_list", {}, "controls.view_assessment", "Requirement statuses with their history."),
    ("Evidence", "controls:evidence_list", {}, "controls.view_evidence", "Evidence metadata, dates and SHA-256."),
    ("Automated checks", "controls:check_list", {}, "controls.view_checkresult", "Every check's latest result and its history."),
    ("Staff training", "staff_training:compliance", {}, "staff_training.view_assignment", "Completion per course and department."),
    ("Audit log", "audit:event_list", {}, "audit.view_auditevent", "Every change, export, login and refusal, hash-chained."),
]


@dataclass(frozen=True)
class RegisterLink:
    label: str
    url: str
    description: str


@dataclass(frozen=True)
class AssessmentRow:
    assessment: object
    card: scoring.ScoreCard
    url: str


@dataclass
class Workspace:
    """What the workspace page shows."""

    registers: list[RegisterLink]
    chain: audit_selectors.ChainStatus | None
    chain_check: object | None  # the latest CheckResult of audit.chain_verifies, or None
    signed_report: AuditReport | None
    assessments: list[AssessmentRow] = field(default_factory=list)
    report_links: list[RegisterLink] = field(default_factory=list)


def workspace_for_user(*, user) -> Workspace:
    """Return the workspace of ``user`` (who holds ``reports.view_workspace``), in a constant number of queries."""
    registers = [
        RegisterLink(label, link, description)
        for label, name, query, permission, description in REGISTERS
        if user.has_perm(permission) and (link := url(name, **query))
    ]
    chain = chain_check = None
    if user.has_perm(audit_selectors.VIEW_PERMISSION):
        chain = audit_selectors.chain_status()
    if user.has_perm("controls.view_checkresult"):
        try:
            chain_check = check_selectors.check_row_for_user(user=user, key=CHAIN_CHECK).latest
        except Http404:
            chain_check = None
    signed = None
    if user.has_perm("reports.view_auditreport"):
        signed = (
            AuditReport.objects.filter(status=AuditReport.Status.DONE, chain_sequence__isnull=False)
            .order_by("-generated_at", "-pk")
            .only("pk", "uid", "generated_at", "chain_sequence", "chain_hash", "signing_key_id", "sha256", "period_start", "period_end")
            .first()
        )
    assessments = list(control_selectors.assessments_for_user(user=user)[:ASSESSMENTS_SHOWN])
    cards = scoring.assessment_scores(assessment_ids=[assessment.pk for assessment in assessments])
    rows = [AssessmentRow(assessment, cards[assessment.pk], url("controls:assessment_detail", assessment.pk)) for assessment in assessments]
    report_links = []
    if user.has_perm("reports.view_auditreport"):
        for label, name, description in (
            ("Audit reports", "reports:report_list", "Signed PDF audit reports: request one, download it and its signature."),
            ("About integrity", "reports:integrity", "The public keys that verify reports offline."),
            ("Exports", "reports:export_list", "CSV and JSON Lines of every register, streamed and audited."),
        ):
            link = url(name)
            if link:
                report_links.append(RegisterLink(label, link, description))
    return Workspace(registers=registers, chain=chain, chain_check=chain_check, signed_report=signed, assessments=rows, report_links=report_links)
