"""Demo registry for ``manage.py seed_demo``: datasets across categories, every kind of location,
versions with lineage and membership filters, models and training runs (some differentially private).

Idempotent: a dataset or model whose slug exists is left alone with everything
under it, so a second run creates nothing and records no audit event. File and
SQLite locations point under the first CONNECTOR_FILESYSTEM_ROOTS directory;
the demo stores themselves are created by the erasure workflow's demo.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.accounts.models import User
from compliance.audit.actors import SystemActor
from datasets.models import Dataset, DatasetVersion, MLModel
from datasets.services import (
    ParentLink,
    add_storage_location,
    create_dataset,
    create_model,
    create_version,
    register_training_run,
)

ACTOR = SystemActor("seed_demo")
DEMO_SUBJECTS = [f"demo-subject-{number:03d}" for number in range(1, 41)]


@dataclass(frozen=True)
class DemoDataset:
    slug: str
    values: dict[str, Any]
    locations: list[dict[str, Any]] = field(default_factory=list)
    owned: bool = True


def stores_directory() -> Path:
    """Return the directory the demo's file and SQLite locations point at (written by consent.erasure.demo_stores)."""
    return Path(settings.CONNECTOR_FILESYSTEM_ROOTS[0]).expanduser() / "demo"


def _database_url(scheme: str, port: int, database: str) -> str:
    # A throwaway password, so the demo shows redaction without a secret in the repository.
    return f"{scheme}://custos_demo:{secrets.token_urlsafe(12)}@127.0.0.1:{port}/{database}"


def demo_datasets() -> list[DemoDataset]:
    stores = stores_directory()
    return [
        DemoDataset(
            "shop-customers",
            dict(
                name="Shop customers",
                description="Accounts and order history of the online shop.",
                data_categories=["contact", "identifiers", "financial"],
                sensitivity="confidential",
                subject_jurisdictions=["GB", "DE", "US-CA"],
                lawful_bases=["contract", "consent"],
                purposes=["order-fulfilment", "marketing"],
                retention_days=730,
                retention_action="delete",
                source="Shop back end",
                collection_channel="Checkout form",
                encryption_at_rest="AES-256",
                encryption_in_transit=True,
            ),
            [dict(name="monthly export", kind="filesystem", path=str(stores / "shop-customers.csv"), subject_key="external_id", subject_field="customer_id")],
        ),
        # The shop's live database is a dataset of its own: the embedded profile has no
        # PostgreSQL server for it, so it is held (see consent.erasure.demo_stores), and a hold on it
        # must not stop the demo from erasing the monthly export above.
        DemoDataset(
            "shop-database",
            dict(
                name="Shop database",
                description="The online shop's live customer accounts, in its PostgreSQL database.",
                data_categories=["contact", "identifiers", "financial"],
                sensitivity="confidential",
                subject_jurisdictions=["GB", "DE", "US-CA"],
                lawful_bases=["contract"],
                purposes=["order-fulfilment"],
                retention_days=730,
                retention_action="delete",
                source="Shop back end",
                collection_channel="Checkout form",
                encryption_at_rest="AES-256",
                encryption_in_transit=True,
            ),
            [dict(name="shop database", kind="postgresql", url=_database_url("postgresql", 5432, "shop"), table="customers", subject_key="email", subject_field="email")],
        ),
        DemoDataset(
            "support-tickets",
            dict(
                name="Support tickets",
                data_categories=["contact", "behavioural"],
                sensitivity="internal",
                subject_jurisdictions=["GB", "IE"],
                lawful_bases=["legitimate_interests"],
                purposes=["customer-support"],
                retention_days=365,
                retention_action="anonymise",
                source="Helpdesk",
                collection_channel="Email and chat",
                encryption_at_rest="AES-256",
                encryption_in_transit=True,
            ),
            [
                dict(
                    name="helpdesk database",
                    kind="mysql",
                    url=_database_url("mysql", 3306, "helpdesk"),
                    table="tickets",
                    subject_key="email",
                    subject_field="requester_email",
                    erasure_mode="anonymise",
                    anonymise_fields=["requester_email", "requester_name", "body"],
                )
            ],
        ),
        DemoDataset(
            "clinic-appointments",
            dict(
                name="Clinic appointments",
                description="Bookings and visit notes from the partner clinic.",
                data_categories=["health", "contact", "identifiers"],
                sensitivity="restricted",
                subject_jurisdictions=["US", "US-CA"],
                lawful_bases=["consent"],
                purposes=["care-delivery", "model-training"],
                retention_days=2555,
                retention_action="review",
                source="Clinic scheduling system",
                collection_channel="Front desk",
                encryption_at_rest="AES-256-GCM",
                encryption_in_transit=True,
                anonymisation_technique="pseudonymised",
                privacy_budget_epsilon=8.0,
            ),
            [dict(name="clinic database", kind="sqlite", path=str(stores / "clinic.sqlite3"), table="appointments", subject_key="external_id", subject_field="patient_id")],
        ),
        DemoDataset(
            "fitness-tracker",
            dict(
                name="Fitness tracker readings",
                data_categories=["location", "health", "behavioural"],
                sensitivity="restricted",
                subject_jurisdictions=["GB", "US-CA"],
                lawful_bases=["consent"],
                purposes=["model-training"],
                retention_days=540,
                retention_action="delete",
                source="Wearable app",
                collection_channel="Mobile app",
                encryption_at_rest="AES-256",
                encryption_in_transit=True,
                anonymisation_technique="differential_privacy",
                anonymisation_epsilon=4.0,
                anonymisation_delta=1e-6,
                privacy_budget_epsilon=10.0,
            ),
            [dict(name="readings lake", kind="s3", bucket="custos-demo-readings", prefix="fitness/", format="parquet", subject_key="external_id", subject_field="user_id")],
        ),
        DemoDataset(
            "web-clickstream",
            dict(
                name="Web clickstream",
                data_categories=["behavioural", "identifiers"],
                sensitivity="internal",
                subject_jurisdictions=["DE", "FR"],
                lawful_bases=["legitimate_interests"],
                purposes=["analytics"],
                retention_days=90,
                retention_action="delete",
                source="Web analytics",
                collection_channel="Website",
                encryption_in_transit=True,
            ),
            [dict(name="session cache", kind="redis", url="redis://127.0.0.1:6379/3", key_pattern="session:{key}:*", subject_key="external_id")],
        ),
        DemoDataset(
            "payment-transactions",
            dict(
                name="Payment transactions",
                data_categories=["financial", "identifiers"],
                sensitivity="restricted",
                subject_jurisdictions=["GB"],
                lawful_bases=["contract", "legal_obligation"],
                purposes=["payments", "fraud-prevention"],
                retention_days=2190,
                retention_action="delete",
                source="Payment processor",
                collection_channel="Checkout",
                encryption_at_rest="AES-256",
                encryption_in_transit=True,
            ),
            [dict(name="ledger exports", kind="filesystem", path=str(stores / "payments.jsonl"), subject_key="external_id", subject_field="customer_id")],
        ),
        DemoDataset(
            "face-id-enrolments",
            dict(
                name="Face ID enrolments",
                data_categories=["biometric", "special_category"],
                sensitivity="restricted",
                subject_jurisdictions=["NL"],
                lawful_bases=["consent"],
                purposes=["authentication"],
                retention_days=365,
                retention_action="delete",
                source="Mobile app",
                collection_channel="In-app enrolment",
                encryption_at_rest="AES-256-GCM",
                encryption_in_transit=True,
            ),
        ),
        DemoDataset(
            "kids-learning-app",
            dict(
                name="Kids learning app progress",
                data_categories=["children", "behavioural"],
                sensitivity="confidential",
                subject_jurisdictions=["GB"],
                lawful_bases=["consent"],
                purposes=["product-improvement"],
                retention_days=180,
                retention_action="delete",
                source="Learning app",
                collection_channel="Tablet app",
                encryption_at_rest="AES-256",
                encryption_in_transit=True,
            ),
        ),
        DemoDataset(
            "staff-wellbeing-survey",
            dict(
                name="Staff wellbeing survey",
                data_categories=["special_category", "health"],
                sensitivity="confidential",
                subject_jurisdictions=["GB"],
                lawful_bases=["consent"],
                purposes=["wellbeing-programme"],
                retention_days=365,
                retention_action="anonymise",
                source="HR survey tool",
                collection_channel="Survey",
                encryption_in_transit=True,
                anonymisation_technique="k_anonymity",
                anonymisation_k=5,
            ),
        ),
        DemoDataset(
            "marketing-leads",
            dict(
                name="Marketing leads",
                data_categories=["contact"],
                sensitivity="internal",
                subject_jurisdictions=["US-CA"],
                lawful_bases=["consent"],
                purposes=["marketing"],
                source="Trade fair scans",
                collection_channel="Badge scanner",
            ),
            owned=False,
        ),
        DemoDataset(
            "delivery-routes",
            dict(
                name="Delivery routes",
                data_categories=["location", "contact"],
                sensitivity="confidential",
                subject_jurisdictions=["IE"],
                lawful_bases=["contract"],
                purposes=["order-fulfilment"],
                retention_days=120,
                retention_action="delete",
                source="Courier app",
                collection_channel="Driver app",
                encryption_at_rest="AES-256",
                encryption_in_transit=True,
            ),
            [dict(name="route logs", kind="filesystem", path=str(stores / "routes.jsonl"), subject_key="phone", subject_field="recipient_phone", erasure_mode="anonymise", anonymise_fields=["recipient_phone", "address"])],
        ),
        DemoDataset(
            "product-reviews",
            dict(
                name="Product reviews",
                data_categories=["behavioural"],
                sensitivity="public",
                subject_jurisdictions=["GB", "DE"],
                purposes=["product-improvement"],
                retention_days=1095,
                retention_action="review",
                source="Shop reviews",
                collection_channel="Website",
            ),
            owned=False,
        ),
    ]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _seed_versions(datasets: dict[str, Dataset]) -> dict[str, DatasetVersion]:
    now = timezone.now()
    versions: dict[str, DatasetVersion] = {}

    def version(slug: str, label: str, days_ago: int, parents=(), subjects=None, rows=None, **extra) -> None:
        if slug not in datasets:
            return
        links = [ParentLink(version=versions[key], transformation=note) for key, note in parents if key in versions]
        versions[f"{slug}@{label}"] = create_version(
            actor=ACTOR,
            dataset=datasets[slug],
            label=label,
            row_count=rows,
            parents=links,
            subject_keys=subjects,
            created_at=now - timedelta(days=days_ago),
            **extra,
        )

    version("shop-customers", "v1", 120, subjects=DEMO_SUBJECTS[:30], rows=30, schema_summary={"customer_id": "text", "email": "text", "total_spent": "numeric"})
    version("shop-customers", "v2", 30, parents=[("shop-customers@v1", "added March orders; removed closed accounts")], subjects=DEMO_SUBJECTS[5:35], rows=30)
    version("clinic-appointments", "2026-01", 90, subjects=DEMO_SUBJECTS[20:40], rows=20)
    version("fitness-tracker", "raw-1", 60, rows=12_000)
    version(
        "fitness-tracker",
        "features-1",
        45,
        parents=[("fitness-tracker@raw-1", "hourly aggregates, GPS rounded to 1 km"), ("clinic-appointments@2026-01", "joined on pseudonymous patient id")],
        rows=4_000,
    )
    version("support-tickets", "2026-q1", 20, rows=850)
    return versions


def _seed_models(versions: dict[str, DatasetVersion]) -> tuple[int, int]:
    engineer = _user("engineer")
    now = timezone.now()
    plans = [
        ("churn-predictor", "Churn predictor", "Predict which customers may cancel, to offer them support.", "production",
         [(["shop-customers@v1"], {}), (["shop-customers@v2"], {})]),
        ("readmission-risk", "Readmission risk", "Flag patients at risk of readmission for a follow-up call.", "staging",
         [(["clinic-appointments@2026-01"], {"privacy_technique": "dp_sgd", "epsilon": 2.0, "delta": 1e-5, "accountant": "rdp"}),
          (["clinic-appointments@2026-01", "fitness-tracker@features-1"], {"privacy_technique": "dp_sgd", "epsilon": 3.0, "delta": 1e-5, "accountant": "prv"})]),
        ("activity-recommender", "Activity recommender", "Suggest workouts from recent activity.", "development",
         [(["fitness-tracker@raw-1"], {"privacy_technique": "federated"})]),
        ("ticket-router", "Ticket router", "Route support tickets to the right team.", "production",
         [(["support-tickets@2026-q1"], {"privacy_technique": "k_anonymised", "k_anonymity_k": 10})]),
    ]
    created = kept = 0
    for slug, name, use, status, runs in plans:
        if MLModel.objects.filter(slug=slug).exists():
            kept += 1
            continue
        model = create_model(actor=ACTOR, name=name, slug=slug, owner=engineer, intended_use=use, deployment_status=status)
        created += 1
        for number, (keys, privacy) in enumerate(runs):
            used = [versions[key] for key in keys if key in versions]
            if not used:
                continue
            started = now - timedelta(days=15 - 5 * number, hours=3)
            register_training_run(
                actor=ACTOR,
                model=model,
                dataset_versions=used,
                started_at=started,
                finished_at=started + timedelta(hours=2),
                code_reference=f"git:{slug}@{secrets.token_hex(4)}",
                metrics={"auc": round(0.8 + 0.03 * number, 3)},
                status="completed",
                **privacy,
            )
    return created, kept


@transaction.atomic
def seed_registry() -> tuple[int, int]:
    """Create the demo datasets and models that are missing; return (created, kept)."""
    owner = _user("steward")
    created = kept = 0
    new: dict[str, Dataset] = {}
    for spec in demo_datasets():
        if Dataset.objects.filter(slug=spec.slug).exists():
            kept += 1
            continue
        dataset = create_dataset(actor=ACTOR, slug=spec.slug, owner=owner if spec.owned else None, **spec.values)
        for location in spec.locations:
            add_storage_location(actor=ACTOR, dataset=dataset, **location)
        new[spec.slug] = dataset
        created += 1
    models_created, models_kept = _seed_models(_seed_versions(new))
    return created + models_created, kept + models_kept
