"""Rows for the dashboard tests and benchmark: a small organisation made through the services, then grown in bulk.

``grow(n)`` clones the service-made rows with ``bulk_create`` (the dashboard
reads tables, it does not care how rows arrived), so the same page can be
measured at 10 and at 1,000 rows of every kind it counts.
"""

import uuid
from datetime import date, timedelta

from django.db.models import Max
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.audit.models import AuditEvent, ChainHead
from compliance.controls import services as control_services
from compliance.controls.models import Assessment, Control, Framework, RequirementAssessment
from compliance.controls.loader import load_catalogs
from consent.erasure import access_services
from consent.erasure import services as erasure_services
from consent.erasure.access_models import AccessRequest
from consent.erasure.models import ErasureRequest
from consent.models import Purpose
from consent.services import create_purpose, publish_notice, record_consent, upsert_subject
from datasets.models import Dataset
from datasets.services import create_dataset
from tests.compliance.controls.conftest import CONTROLS_FILE, V1

SETUP = SystemActor("dashboard tests")


def seed(dpo, manager) -> dict:
    """Make one of everything the dashboard counts, through the services; return the objects."""
    load_catalogs(actor=SETUP, directory=V1, controls_file=CONTROLS_FILE)
    framework = Framework.objects.get(code="demo")
    assessment = control_services.create_assessment(
        actor=manager, framework=framework, owner=manager, title="Demo assessment", scope="organisation",
        period_start=date(2026, 1, 1), period_end=date(2099, 12, 31),
    )
    first = assessment.items.order_by("pk").first()
    control_services.update_requirement_assessment(actor=manager, item=first, status="compliant")
    Control.objects.filter(code="CTL-ENC-01").update(automated_status="failing")
    purpose = create_purpose(actor=dpo, code="marketing", name="Marketing emails", lawful_basis="consent")
    publish_notice(actor=dpo, purpose=purpose, version="v1", effective_at=timezone.now() - timedelta(days=30), text="Offers.")
    subject = upsert_subject(actor=dpo, external_id="user-1", jurisdiction="GB").subject
    record_consent(actor=dpo, subject=subject, purpose=purpose, status="granted", collection_method="web_form", notice_version="v1")
    dataset = create_dataset(actor=dpo, name="Shop", slug="shop", data_categories=["contact"], sensitivity="confidential")
    erasure = erasure_services.receive_erasure_request(actor=dpo, subject=subject, source="browser")
    access = access_services.receive_access_request(actor=dpo, identifiers={"email": "a@example.com"}, source="browser", requester_contact="a@example.com")
    return {"assessment": assessment, "purpose": purpose, "subject": subject, "dataset": dataset, "erasure": erasure, "access": access}


def _clone(instance, count: int, **changes):
    model = type(instance)
    rows = []
    for number in range(count):
        row = model.objects.get(pk=instance.pk)
        row.pk = None
        if hasattr(row, "uid"):
            row.uid = uuid.uuid4()
        for name, value in changes.items():
            setattr(row, name, value(number) if callable(value) else value)
        rows.append(row)
    model.objects.bulk_create(rows, batch_size=500)


def add_audit_events(count: int, action: str = "subject.revealed") -> None:
    """Append ``count`` high-risk events directly (the dashboard reads the table; it does not walk the chain)."""
    start = (AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0) + 1
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                sequence=sequence, occurred_at=now, actor_type=AuditEvent.ActorType.SYSTEM, actor_label="bulk",
                action=action, target_type="consent.datasubject", target_id=str(sequence), data={},
                prev_hash="0" * 64, hash=f"{sequence:064x}",
            )
            for sequence in range(start, start + count)
        ],
        batch_size=2000,
    )
    ChainHead.objects.filter(pk=1).update(sequence=start + count - 1, hash=f"{start + count - 1:064x}")


def grow(objects: dict, count: int) -> None:
    """Add ``count`` more rows of each kind the dashboard counts."""
    base = Dataset.objects.count()
    _clone(objects["dataset"], count, slug=lambda n: f"bulk-{base + n}", name=lambda n: f"Bulk {base + n}")
    _clone(objects["erasure"], count, due_at=lambda n: timezone.now() + timedelta(days=n % 40 - 10))
    # Encrypted identifiers are bound to their row: clones carry none (the dashboard counts, it never reads them).
    _clone(
        objects["access"], count, due_at=lambda n: timezone.now() + timedelta(days=n % 40 - 10),
        subject=objects["subject"], email=None, email_index=None, phone=None, phone_index=None, requester_contact=None,
    )
    assessment = objects["assessment"]
    _clone(assessment, count, title=lambda n: f"Bulk assessment {n}")
    # One requirement row per cloned assessment: the workspace lists them with their scores.
    item = RequirementAssessment.objects.filter(assessment=assessment).order_by("pk").first()
    clones = Assessment.objects.filter(title__startswith="Bulk assessment").exclude(items__isnull=False)
    RequirementAssessment.objects.bulk_create(
        [RequirementAssessment(assessment=clone, requirement_id=item.requirement_id, status="compliant") for clone in clones]
    )
    # Consent figures come from counters the database maintains (one row per purpose and status): more
    # purposes, not more events, is what could grow the page's work.
    purposes = Purpose.objects.count()
    _clone(objects["purpose"], count, code=lambda n: f"bulk-{purposes + n}", name=lambda n: f"Bulk purpose {purposes + n}")
    add_audit_events(count)
