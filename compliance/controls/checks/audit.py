"""Checks of the audit log: the hash chain verifies from the first event to the head."""

from datetime import datetime

from django.urls import reverse

from compliance.audit.verification import verify_chain
from compliance.controls.checks.registry import CheckOutcome, FailingObject, check, failed, no_data, passed, plural


@check(
    key="audit.chain_verifies",
    title="The audit log's hash chain verifies",
    description=(
        "Walking the audit log recomputes every event's hash and finds no missing, altered or reordered "
        "event and no tail cut below a checkpoint (integrity of logs, HIPAA 164.312(b), (c)(1))."
    ),
)
def chain_verifies(*, now: datetime) -> CheckOutcome:
    # Read-only walk: storing a verification and a checkpoint is the audit app's own hourly task.
    report = verify_chain()
    if report.intact:
        if report.event_count == 0:
            return no_data("The audit log holds no event yet.")
        return passed(f"The audit chain is intact: {plural(report.event_count, 'event')} verified up to #{report.head_sequence}.")
    url = reverse("audit:event_detail", args=[report.first_bad_sequence]) if report.first_bad_sequence else ""
    return failed(
        f"The audit chain is broken at event #{report.first_bad_sequence} after {plural(report.event_count, 'event')} verified: {report.problem}",
        [FailingObject(label=f"Audit event #{report.first_bad_sequence}", url=url)],
    )
