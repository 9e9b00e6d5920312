"""Demo consent records for ``manage.py seed_demo``: forty subjects, four purposes with notices, histories.

The subjects are the registry demo's (``datasets.demo.DEMO_SUBJECTS``), so their
pages show the dataset versions whose membership filters hold them. Identifiers
use ranges reserved for fiction (example.org addresses; Ofcom's 07700 900xxx,
Berlin's 030 23125xxx, France's 06 39 98xx xx, North America's 555-01xx), and
the histories include withdrawals, refusals, a re-grant under a newer notice, a
consent that lapsed and one about to expire.

Idempotent: an existing purpose or subject is left alone with everything
under it, so a second run creates nothing and records no audit event.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from compliance.audit.actors import SystemActor
from consent.models import CollectionMethod, ConsentStatus, DataSubject, Purpose
from consent.services import create_purpose, publish_notice, record_consent, upsert_subject
from datasets.demo import DEMO_SUBJECTS

ACTOR = SystemActor("seed_demo")
FIRST_NAMES = [
    "Ava", "Ben", "Chloe", "Daniel", "Elena", "Felix", "Grace", "Hugo", "Isla", "Jonas",
    "Klara", "Liam", "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Samuel", "Tara",
]
LAST_NAMES = ["Thompson", "Schmidt", "Martin", "Rivera", "Walsh", "Fischer", "Bernard", "Nguyen"]
JURISDICTIONS = ["GB", "DE", "FR", "US-CA", "US-NY"]
METHODS = [CollectionMethod.WEB_FORM, CollectionMethod.APP, CollectionMethod.PAPER, CollectionMethod.API]


@dataclass(frozen=True)
class DemoPurpose:
    code: str
    name: str
    description: str
    lawful_basis: str
    consent_required: bool
    notices: tuple[tuple[str, int, str], ...]  # (version, days ago, text)


DEMO_PURPOSES = (
    DemoPurpose(
        "marketing",
        "Marketing emails",
        "Newsletters and offers by email and text message.",
        "consent",
        True,
        (
            ("v1", 400, "We will send you our newsletter and offers by email. You can unsubscribe at any time."),
            ("v2", 60, "We will send you our newsletter and offers by email and text message. Unsubscribe at any time."),
        ),
    ),
    DemoPurpose(
        "model-training",
        "Model training",
        "Training machine-learning models (churn, readmission risk) on account and visit data.",
        "consent",
        True,
        (("v1", 400, "Your records may be used to train models that improve our service; consent lasts a year."),),
    ),
    DemoPurpose(
        "analytics",
        "Product analytics",
        "Aggregate usage statistics of the website and apps.",
        "legitimate_interests",
        False,
        (("2025-01", 400, "We measure how our website and apps are used. You may object at any time."),),
    ),
    DemoPurpose(
        "product-improvement",
        "Product improvement research",
        "Surveys and usability studies with volunteers.",
        "consent",
        True,
        (("v1", 300, "We may invite you to surveys and usability studies."),),
    ),
)


def _phone(jurisdiction: str, number: int) -> str:
    if jurisdiction == "GB":
        return f"+44 7700 900{number:03d}"
    if jurisdiction == "DE":
        return f"+49 30 23125{number:03d}"
    if jurisdiction == "FR":
        return f"+33 6 39 98 {number // 100:02d} {number % 100:02d}"
    return f"+1 201 555 01{number % 100:02d}"


def demo_identity(index: int) -> dict[str, str]:
    """Return the demo identifiers of subject ``index`` (0-based): deterministic, fictional."""
    first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[index % len(LAST_NAMES)]
    jurisdiction = JURISDICTIONS[index % len(JURISDICTIONS)]
    return {
        "email": f"{first}.{last}{index + 1}@example.org".lower(),
        "phone": _phone(jurisdiction, index + 1),
        "name": f"{first} {last}",
        "jurisdiction": jurisdiction,
    }


@dataclass(frozen=True)
class PlannedEvent:
    purpose: str
    status: str
    days_ago: float
    notice: str | None = None
    expires_in_days: float | None = None
    reason: str = ""


def demo_history(index: int) -> list[PlannedEvent]:
    """Return subject ``index``'s consent history, oldest first."""
    offset = index * 2
    plan: list[PlannedEvent] = []
    if index % 3 != 0:
        plan.append(PlannedEvent("marketing", ConsentStatus.GRANTED, 300 - offset, "v1"))
        if index % 5 == 1:
            plan.append(PlannedEvent("marketing", ConsentStatus.WITHDRAWN, 40 - index / 2, reason="Unsubscribed from a newsletter."))
        elif index % 7 == 2:
            plan.append(PlannedEvent("marketing", ConsentStatus.GRANTED, 20, "v2"))
    elif index % 2 == 0:
        plan.append(PlannedEvent("marketing", ConsentStatus.REFUSED, 200 - offset, "v1"))
    if index == 0:
        # About to expire: the subject page and the lapse task show it.
        plan.append(PlannedEvent("model-training", ConsentStatus.GRANTED, 362, "v1", expires_in_days=365))
    elif index == 2:
        # Expired two days ago; the hourly lapse task records its expiry.
        plan.append(PlannedEvent("model-training", ConsentStatus.GRANTED, 367, "v1", expires_in_days=365))
    elif index % 2 == 0:
        plan.append(PlannedEvent("model-training", ConsentStatus.GRANTED, 150 - offset, "v1", expires_in_days=365))
    elif index % 9 == 1:
        plan.append(PlannedEvent("model-training", ConsentStatus.REFUSED, 100, "v1"))
    if index % 4 == 3:
        plan.append(PlannedEvent("analytics", ConsentStatus.REFUSED, 90 - index, "2025-01", reason="Objected in the privacy settings."))
    if index % 6 == 1:
        plan.append(PlannedEvent("product-improvement", ConsentStatus.GRANTED, 120 - index, "v1"))
    return sorted(plan, key=lambda event: -event.days_ago)


def _seed_purposes(now: datetime) -> tuple[int, int]:
    created = kept = 0
    for spec in DEMO_PURPOSES:
        if Purpose.objects.filter(code=spec.code).exists():
            kept += 1
            continue
        purpose = create_purpose(
            actor=ACTOR,
            code=spec.code,
            name=spec.name,
            description=spec.description,
            lawful_basis=spec.lawful_basis,
            consent_required=spec.consent_required,
        )
        for version, days_ago, text in spec.notices:
            publish_notice(actor=ACTOR, purpose=purpose, version=version, effective_at=now - timedelta(days=days_ago), text=text)
        created += 1
    return created, kept


def _seed_subject(index: int, external_id: str, now: datetime) -> None:
    identity = demo_identity(index)
    subject = upsert_subject(actor=ACTOR, external_id=external_id, **identity).subject
    purposes = {purpose.code: purpose for purpose in Purpose.objects.filter(code__in=[spec.code for spec in DEMO_PURPOSES])}
    for number, planned in enumerate(demo_history(index)):
        occurred_at = now - timedelta(days=planned.days_ago)
        record_consent(
            actor=ACTOR,
            subject=subject,
            purpose=purposes[planned.purpose],
            status=planned.status,
            notice_version=planned.notice,
            collection_method=METHODS[(index + number) % len(METHODS)],
            occurred_at=occurred_at,
            expires_at=occurred_at + timedelta(days=planned.expires_in_days) if planned.expires_in_days else None,
            event_id=f"demo:{external_id}:{number}",
            evidence={"source_system": "demo shop", "ip": f"203.0.113.{index + 1}", "user_agent": "Mozilla/5.0 (demo)"},
            reason=planned.reason,
        )


@transaction.atomic
def seed_consent() -> tuple[int, int]:
    """Create the demo purposes, notices, subjects and consent histories that are missing; return (created, kept)."""
    now = timezone.now()
    created, kept = _seed_purposes(now)
    existing = set(DataSubject.objects.filter(external_id__in=DEMO_SUBJECTS).values_list("external_id", flat=True))
    for index, external_id in enumerate(DEMO_SUBJECTS):
        if external_id in existing:
            kept += 1
            continue
        _seed_subject(index, external_id, now)
        created += 1
    return created, kept
