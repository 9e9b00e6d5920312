"""The database itself refuses to change a consent event (consent.triggers, installed by migration)."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from consent.models import ConsentEvent
from consent.services import record_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(dpo, subject, purpose):
    return record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="web_form")


def test_the_database_refuses_to_update_an_event(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(status="withdrawn")

    assert ConsentEvent.objects.get(pk=event.pk).status == "granted"


def test_the_trigger_refuses_raw_sql_too(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE consent_consentevent SET reason = 'x'")
