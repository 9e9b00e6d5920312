"""The certificate of erasure: a PDF rendered once per completed request, stored, and the same file on every download.

Rendering happens after completion (a task) or on the first download,
whichever comes first, under the request's row lock so it happens once. The
file's sha256 is recorded in the audit log (``erasure.certificate_issued``);
that event is the certificate's record, so no extra table is needed and the
hash cannot change without breaking the chain.
"""

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from compliance.audit.actors import describe_target
from compliance.audit.models import AuditEvent
from compliance.audit.services import record_event
from consent.erasure.execution import ENGINE
from consent.erasure.models import ErasureRequest, RequestStatus, StepStatus
from consent.erasure.services import ErasureActionRefused
from consent.erasure.selectors import steps_for_request
from datasets.models import TrainingRun

ISSUED = "erasure.certificate_issued"
STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "certificate.css"


@dataclass(frozen=True)
class StoredCertificate:
    """A rendered certificate: where it is under MEDIA_ROOT and its sha256."""

    name: str
    sha256: str

    @property
    def path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "certificates" / self.name

    @property
    def filename(self) -> str:
        return self.name


def _events(request: ErasureRequest, action: str):
    target_type, target_id = describe_target(request)
    return AuditEvent.objects.filter(action=action, target_type=target_type, target_id=target_id).order_by("sequence")


def issued_certificate(request: ErasureRequest) -> StoredCertificate | None:
    """Return the request's certificate as recorded in the audit log, or None before it is rendered."""
    event = _events(request, ISSUED).first()
    if event is None:
        return None
    return StoredCertificate(name=event.data["file"], sha256=event.data["sha256"])


def certificate_context(request: ErasureRequest) -> dict:
    """Return what the certificate shows: the request, each location's evidence or hold, models affected, chain head."""
    completed = _events(request, "erasure.completed").last()
    summary = completed.data if completed else {}
    steps = steps_for_request(request=request)
    run_ids = [*summary.get("runs_affected", []), *summary.get("runs_possibly_affected", [])]
    runs = {run.pk: run for run in TrainingRun.objects.filter(pk__in=run_ids).select_related("model")}
    return {
        "request": request,
        "done_steps": [step for step in steps if step.status == StepStatus.DONE],
        "skipped_steps": [step for step in steps if step.status == StepStatus.SKIPPED],
        "runs_affected": [runs[pk] for pk in summary.get("runs_affected", []) if pk in runs],
        "runs_possibly_affected": [runs[pk] for pk in summary.get("runs_possibly_affected", []) if pk in runs],
        "consents_withdrawn": summary.get("consents_withdrawn", 0),
        "chain_sequence": completed.sequence if completed else None,
        "chain_head": completed.hash if completed else "",
        "issued_at": timezone.now(),
    }


def render_pdf(request: ErasureRequest) -> bytes:
    """Return the certificate of ``request`` as PDF bytes."""
    from weasyprint import CSS, HTML

    html = render_to_string("erasure/certificate.html", certificate_context(request))
    # No base URL: the certificate loads nothing but its own stylesheet from disk.
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


def _store(content: bytes) -> StoredCertificate:
    directory = Path(settings.MEDIA_ROOT) / "certificates"
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.pdf"
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(content)
    os.replace(temporary, directory / name)
    return StoredCertificate(name=name, sha256=hashlib.sha256(content).hexdigest())


@transaction.atomic
def ensure_certificate(*, request_id: int) -> StoredCertificate | None:
    """Render and store the certificate of a completed request unless it already is; return it (None if not completed)."""
    request = ErasureRequest.objects.select_for_update(of=("self",)).select_related("subject").filter(pk=request_id).first()
    if request is None or request.status != RequestStatus.COMPLETED:
        return None
    existing = issued_certificate(request)
    if existing is not None:
        return existing
    stored = _store(render_pdf(request))
    record_event(
        actor=ENGINE,
        action=ISSUED,
        target=request,
        data={"request": request.reference, "file": stored.name, "sha256": stored.sha256},
    )
    return stored


@transaction.atomic
def certificate_for_download(*, actor, request: ErasureRequest) -> StoredCertificate:
    """Return the completed request's certificate (rendering it on the first download) and record the download."""
    if request.status != RequestStatus.COMPLETED:
        raise ErasureActionRefused(
            f"Request {request.reference} is {request.status}; its certificate of erasure exists once it is completed."
        )
    stored = ensure_certificate(request_id=request.pk)
    record_event(
        actor=actor,
        action="erasure.certificate_downloaded",
        target=request,
        data={"request": request.reference, "sha256": stored.sha256},
    )
    return stored
