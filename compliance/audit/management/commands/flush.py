"""``flush``, taught that the audit log is append-only.

Django's flush empties every table, which the audit triggers refuse. In
development and tests (pytest-django flushes between transactional tests) the
triggers are lifted for the flush and put back after it; in production the
command is refused: an audit log is never wiped.
"""

from django.conf import settings
from django.core.management import CommandError
from django.core.management.commands import flush
from django.db import connections

from compliance.audit import triggers


class Command(flush.Command):
    def handle(self, **options):
        if settings.PRODUCTION:
            raise CommandError("flush is refused in production: the audit log is append-only.")
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            return super().handle(**options)
        finally:
            triggers.install(connection)
