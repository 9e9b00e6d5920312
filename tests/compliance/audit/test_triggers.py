"""The audit tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) in the database itself."""

import pytest
from django.db import DatabaseError, connection, transaction

from compliance.audit.models import AuditCheckpoint, AuditEvent
from compliance.audit.services import record_checkpoint, record_event
from tests.compliance.audit.chain import only_on_postgresql, triggers_lifted

pytestmark = pytest.mark.django_db

REFUSED = "The audit log is append-only"


def _refused(statement: str, params=()) -> DatabaseError:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    assert REFUSED in str(error.value)
    return error.value


def test_an_event_cannot_be_updated():
    record_event(actor=None, action="test.original", data={"ok": True})

    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(action="test.forged")

    assert AuditEvent.objects.get(sequence=1).action == "test.original"


def test_an_event_cannot_be_deleted():
    record_event(actor=None, action="test.kept")

    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).delete()

    assert AuditEvent.objects.filter(sequence=1).exists()


def test_raw_sql_is_refused_as_well():
    record_event(actor=None, action="test.kept")

    _refused("UPDATE audit_auditevent SET data = %s", ['{"forged": true}'])
    _refused("DELETE FROM audit_auditevent")

    assert AuditEvent.objects.get(sequence=1).data == {}


def test_checkpoints_cannot_be_changed_or_removed():
    record_checkpoint(sequence=1, hash="a" * 64, reason=AuditCheckpoint.Reason.MANUAL)

    _refused("UPDATE audit_auditcheckpoint SET sequence = 0")
    _refused("DELETE FROM audit_auditcheckpoint")

    assert AuditCheckpoint.objects.get().sequence == 1


def test_lifting_the_triggers_is_what_it_takes_to_tamper():
    record_event(actor=None, action="test.original")

    with triggers_lifted():
        AuditEvent.objects.filter(sequence=1).update(action="test.forged")

    assert AuditEvent.objects.get(sequence=1).action == "test.forged"
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(action="test.again")


@pytest.mark.services
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditcheckpoint"])
def test_truncate_is_refused_on_postgresql(table):
    only_on_postgresql()
    record_event(actor=None, action="test.kept")
    record_checkpoint(sequence=1, hash="b" * 64, reason=AuditCheckpoint.Reason.MANUAL)

    error = _refused(f"TRUNCATE {table}")

    assert f"TRUNCATE on {table} is refused" in str(error)
    assert AuditEvent.objects.count() == 1
    assert AuditCheckpoint.objects.count() == 1
