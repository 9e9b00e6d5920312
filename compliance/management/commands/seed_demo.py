"""``manage.py seed_demo``: the demo organisation, loaded idempotently.

The demo is a list of seed steps (``SEED_STEPS``); each creates what is missing
and leaves what exists untouched, so a second run changes nothing and records
no audit event. Later issues append their steps (datasets, subjects, ...).
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from compliance.accounts.models import User
from compliance.accounts.roles import Role
from compliance.accounts.services import create_user
from compliance.audit.actors import SystemActor
from compliance.audit.services import record_event

# Public on purpose: `make run` prints it and the README lists it. Production
# must pass its own (the command refuses otherwise).
DEFAULT_DEMO_PASSWORD = "custos-demo-2026"
SEED_ACTOR = SystemActor("seed_demo")


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role | None
    superuser: bool = False
    # Auditor accounts always carry an access end date.
    access_for_a_year: bool = False

    @property
    def role_label(self) -> str:
        return "Administrator (superuser)" if self.superuser else self.role.label


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("dpo", Role.DPO),
    DemoUser("manager", Role.COMPLIANCE_MANAGER),
    DemoUser("auditor", Role.AUDITOR, access_for_a_year=True),
    DemoUser("steward", Role.DATA_STEWARD),
    DemoUser("engineer", Role.ML_ENGINEER),
    DemoUser("employee", Role.EMPLOYEE),
    DemoUser("admin", None, superuser=True),
)


def demo_password(explicit: str | None = None) -> str:
    """Return the demo password: ``explicit``, else $DEMO_PASSWORD, else the public default."""
    return explicit or os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


def one_year_after(day: date) -> date:
    """Return the same calendar day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@dataclass
class StepResult:
    """What one seed step did: how many things it created and kept, and notes to print."""

    name: str
    created: int = 0
    kept: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedContext:
    password: str


def _create_demo_user(spec: DemoUser, password: str) -> User:
    user = create_user(
        actor=SEED_ACTOR,
        username=spec.username,
        email=f"{spec.username}@demo.custos.example.org",
        first_name="Demo",
        last_name=spec.role_label,
        roles=[spec.role.value] if spec.role else [],
        access_expires_on=one_year_after(timezone.localdate()) if spec.access_for_a_year else None,
        password=password,
    )
    if spec.superuser:
        # No accounts service grants superuser rights (createsuperuser's job);
        # the demo administrator gets them here, audited like any grant.
        User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
        record_event(actor=SEED_ACTOR, action="user.superuser_granted", target=user, data={"source": "seed_demo"})
    return user


@transaction.atomic
def seed_users(context: SeedContext) -> StepResult:
    """Create the demo users that do not exist yet; leave existing ones untouched."""
    wanted_roles = {spec.role.value for spec in DEMO_USERS if spec.role}
    missing_roles = wanted_roles - set(Group.objects.values_list("name", flat=True))
    if missing_roles:
        raise CommandError(
            "The role groups " + ", ".join(sorted(missing_roles)) + " are missing: run `manage.py migrate` first."
        )
    result = StepResult("users")
    other_password = []
    for spec in DEMO_USERS:
        existing = User.objects.filter(username=spec.username).only("password").first()
        if existing is None:
            _create_demo_user(spec, context.password)
            result.created += 1
            continue
        result.kept += 1
        # hashers.check_password, not User.check_password: the latter may re-hash
        # and save, and a second seed must change nothing.
        if not check_password(context.password, existing.password):
            other_password.append(spec.username)
    if other_password:
        result.notes = (
            f"{', '.join(other_password)} already existed with another password and were left unchanged:"
            " they keep the password they were first seeded with.",
        )
    return result


def seed_registry(context: SeedContext) -> StepResult:
    """Create the demo registry (datasets, locations, versions, models, runs) where missing."""
    from datasets.demo import seed_registry as seed  # the registry app builds on this package, not the reverse

    created, kept = seed()
    return StepResult("registry", created=created, kept=kept)


def seed_consent(context: SeedContext) -> StepResult:
    """Create the demo purposes, notices, subjects and consent histories where missing."""
    from consent.demo import seed_consent as seed  # the consent app builds on this package, not the reverse

    created, kept = seed()
    return StepResult("consent", created=created, kept=kept)


def seed_demo_stores(context: SeedContext) -> StepResult:
    """Create the demo store files the registry's file and SQLite locations point at, where missing."""
    from consent.erasure.demo_stores import seed_demo_stores as seed  # the rights app builds on this package, not the reverse

    created, kept = seed()
    return StepResult("demo stores", created=created, kept=kept)


def seed_frameworks(context: SeedContext) -> StepResult:
    """Load the GDPR / HIPAA / CCPA catalogs and the default control set, or upgrade them; unchanged ones stay."""
    from compliance.controls.loader import CatalogError, load_catalogs

    try:
        summary = load_catalogs(actor=SEED_ACTOR)
    except CatalogError as error:
        raise CommandError(f"The framework catalogs did not load: {error}") from error
    loaded = [report for report in summary.frameworks if report.outcome != "unchanged"]
    created = len(loaded) + (summary.controls.created + summary.controls.updated if summary.controls else 0)
    kept = len(summary.frameworks) - len(loaded) + (summary.controls.unchanged if summary.controls else 0)
    return StepResult("frameworks", created=created, kept=kept, notes=tuple(note for report in loaded for note in report.notes))


def seed_controls_demo(context: SeedContext) -> StepResult:
    """Create the demo GDPR assessment (a few statuses set) and its evidence, where missing."""
    from compliance.controls.demo import seed_controls_demo as seed

    created, kept = seed()
    return StepResult("assessments", created=created, kept=kept)


def seed_training(context: SeedContext) -> StepResult:
    """Create the demo roster, courses, acceptable-use policy and training history, where missing."""
    from compliance.staff_training.demo import seed_training as seed

    created, kept = seed()
    return StepResult("training", created=created, kept=kept)


def seed_first_checks(context: SeedContext) -> StepResult:
    """Run the automated checks once if they never ran, so a fresh demo shows results before beat's first hourly run."""
    from compliance.controls.check_services import run_checks
    from compliance.controls.models import CheckResult

    if CheckResult.objects.exists():
        return StepResult("checks", kept=1)
    failing = sum(result.status == "fail" for result in run_checks(actor=SEED_ACTOR))
    return StepResult("checks", created=1, notes=(f"The first run of the automated checks found {failing} failing.",))


def seed_score_history(context: SeedContext) -> StepResult:
    """Store twelve months of demo score snapshots derived from the demo assessment, so the dashboard shows a trend."""
    from compliance.controls.score_demo import seed_score_history as seed

    created, kept = seed(actor=SEED_ACTOR)
    return StepResult("score history", created=created, kept=kept)


def seed_dashboard(context: SeedContext) -> StepResult:
    """Compute the dashboard's figures once if they never were, so the page shows them before beat's first refresh."""
    from compliance.reports.dashboard_models import DashboardSummary
    from compliance.reports.dashboard_services import refresh_dashboard_summary

    if DashboardSummary.objects.exists():
        return StepResult("dashboard", kept=1)
    refresh_dashboard_summary(actor=SEED_ACTOR)
    return StepResult("dashboard", created=1)


SEED_STEPS: list[tuple[str, Callable[[SeedContext], StepResult]]] = [
    ("users", seed_users),
    ("registry", seed_registry),
    ("consent", seed_consent),
    ("demo stores", seed_demo_stores),
    ("frameworks", seed_frameworks),
    ("assessments", seed_controls_demo),
    ("training", seed_training),
    ("checks", seed_first_checks),
    ("score history", seed_score_history),
    ("dashboard", seed_dashboard),
]


def logins_table(password: str) -> str:
    """Return the demo sign-in table printed by seed_demo and run_stack."""
    width = max(len(spec.username) for spec in DEMO_USERS)
    lines = [f"Demo logins (password for all: {password}):"]
    lines += [f"  {spec.username:<{width}}  {spec.role_label}" for spec in DEMO_USERS]
    lines.append("Every role but Employee sets up an authenticator app (TOTP) at first sign-in.")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Create the demo users (one per role, and an administrator); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help=f"Password for every demo user (default: $DEMO_PASSWORD, else {DEFAULT_DEMO_PASSWORD!r}).",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION and not options["password"]:
            raise CommandError("In production seed_demo needs --password: the default demo password is public.")
        password = demo_password(options["password"])
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError("The demo password is too weak: " + " ".join(error.messages)) from error

        context = SeedContext(password=password)
        for name, step in SEED_STEPS:
            result = step(context)
            if result.created:
                self.stdout.write(f"{name}: created {result.created}, kept {result.kept}.")
            else:
                self.stdout.write(f"{name}: nothing to do ({result.kept} already there).")
            for note in result.notes:
                self.stdout.write(self.style.WARNING(f"  {note}"))
        self.stdout.write("")
        self.stdout.write(logins_table(password))
