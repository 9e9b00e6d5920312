"""``manage.py verify_audit_chain``: walk the audit chain and say whether it is intact.

Exits 0 when it is, 1 naming the first bad sequence number when it is not, so a
cron job or a monitoring probe can alert on the exit code alone.
"""

from django.core.management.base import BaseCommand

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditCheckpoint
from compliance.audit.services import verify_and_record


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 naming the first bad sequence number if it is broken."

    def handle(self, *args, **options):
        verification = verify_and_record(
            actor=SystemActor("verify_audit_chain"),
            reason=AuditCheckpoint.Reason.MANUAL,
        )
        if verification.intact:
            self.stdout.write(verification.summary)
            return
        self.stderr.write(verification.summary)
        raise SystemExit(1)
