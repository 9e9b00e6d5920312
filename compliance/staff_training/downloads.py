"""The training downloads: the certificate of completion (PDF) and a policy version's document, each audited.

The certificate says that an employee completed a course (or acknowledged a
policy version). It is rendered from the completion on each download (a completion is never
edited, so every copy states the same facts) and each download is audited
(``staff_training.certificate_downloaded``) with the file's SHA-256, so a
certificate shown later can be matched to the download it came from.
"""

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from compliance.audit.services import record_event
from compliance.staff_training.models import Completion, PolicyVersion

DOWNLOADED = "staff_training.certificate_downloaded"
DOCUMENT_DOWNLOADED = "staff_training.policy_document_downloaded"
STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "certificate.css"


def certificate_filename(completion: Completion) -> str:
    """Return the download's file name: the requirement's code and the completion day, no personal data."""
    code = completion.course.code if completion.course_id else completion.policy_version.policy.code
    return f"certificate-{code}-{timezone.localtime(completion.completed_at):%Y-%m-%d}.pdf"


def render_certificate(completion: Completion) -> bytes:
    """Return the certificate of ``completion`` as PDF bytes."""
    from weasyprint import CSS, HTML

    assignment = completion.assignment
    context = {
        "completion": completion,
        "employee": completion.employee,
        "assignment": assignment,
        "course": completion.course,
        "policy_version": completion.policy_version,
        "issued_at": timezone.now(),
    }
    html = render_to_string("staff_training/certificate.html", context)
    # No base URL: the certificate loads nothing but its own stylesheet from disk.
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


@transaction.atomic
def certificate_for_download(*, actor, completion: Completion) -> bytes:
    """Render the certificate of ``completion`` for ``actor`` and record the download with the file's SHA-256."""
    content = render_certificate(completion)
    record_event(
        actor=actor,
        action=DOWNLOADED,
        target=completion,
        data={
            "employee": str(completion.employee_id),
            "course": completion.course.code if completion.course_id else None,
            "policy_version": completion.policy_version_id,
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return content


@transaction.atomic
def policy_document_for_download(*, actor, version: PolicyVersion):
    """Open a policy version's uploaded document for ``actor`` and record the download (FileNotFoundError if missing)."""
    handle = version.file.open("rb")
    record_event(
        actor=actor,
        action=DOCUMENT_DOWNLOADED,
        target=version,
        data={"policy": version.policy.code, "version": version.version},
    )
    return handle
