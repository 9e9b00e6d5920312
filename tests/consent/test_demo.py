"""The demo consent records seed_demo loads: forty subjects, four purposes, varied histories; silent the second time."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from compliance.audit.models import AuditEvent
from consent.models import ConsentEvent, ConsentState, DataSubject, PrivacyNotice, Purpose
from consent.selectors import check_consent

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_covers_consent_and_a_second_run_changes_nothing(settings, tmp_path):
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(tmp_path)]

    output = seed()

    assert "consent: created 44, kept 0." in output
    assert DataSubject.objects.count() == 40
    assert {(s.jurisdiction_country, s.jurisdiction_region) for s in DataSubject.objects.all()} == {
        ("GB", ""),
        ("DE", ""),
        ("FR", ""),
        ("US", "CA"),
        ("US", "NY"),
    }
    assert all(s.email and s.phone and s.name for s in DataSubject.objects.all())
    assert Purpose.objects.count() == 4
    assert PrivacyNotice.objects.filter(purpose__code="marketing").count() == 2
    statuses = set(ConsentEvent.objects.values_list("status", flat=True))
    assert statuses == {"granted", "withdrawn", "refused"}
    now = timezone.now()
    expiring = ConsentState.objects.get(subject__external_id="demo-subject-001", purpose__code="model-training")
    assert now < expiring.expires_at < now + timedelta(days=7)
    assert check_consent(subject_external_id="demo-subject-003", purpose_code="model-training").status == "expired"
    assert ConsentState.objects.filter(purpose__code="marketing", notice__version="v2", status="granted").exists()

    events, states = AuditEvent.objects.count(), list(ConsentState.objects.values())
    again = seed()

    assert AuditEvent.objects.count() == events
    assert list(ConsentState.objects.values()) == states
    assert "consent: nothing to do (44 already there)." in again
