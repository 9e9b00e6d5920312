"""What each role's home page offers; later parts add their cards."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Card:
    title: str
    text: str
    url: str
    action: str


def _erasure_card(user) -> Card:
    # Imported here: consent depends on compliance, not the other way round; the home page only reads its counts.
    from consent.erasure.selectors import clock_counts

    counts = clock_counts(user=user)
    return Card(
        "Erasure requests",
        f"{counts.overdue} overdue, {counts.due_soon} due soon. Verify, approve and follow each request's statutory clock.",
        reverse("erasure:request_list"),
        "Open erasure requests",
    )


def _models_card(user) -> Card:
    # A flag stays on the home page until the run's owner resolves it (retrained, unlearning, exempt).
    from datasets.selectors import flagged_run_counts

    flagged = flagged_run_counts(user=user)
    if flagged.total:
        return Card(
            "Models",
            f"{flagged.affected} training runs affected and {flagged.possibly_affected} possibly affected by erasures, "
            "waiting for their owners to retrain, apply unlearning or record an exemption.",
            reverse("models:list") + "?flagged_only=on",
            "Open the flagged models",
        )
    return Card(
        "Models",
        "Which models were trained on which dataset versions, with what privacy, and the runs an erasure has flagged.",
        reverse("models:list"),
        "Open the models",
    )


def _monitoring_card(user) -> Card:
    # Imported here, like the erasure card: the home page only reads the checks' counts.
    from compliance.controls.check_selectors import monitoring_counts
    from compliance.controls.checks.registry import plural

    counts = monitoring_counts(user=user)
    not_run = f" {counts.not_run} not run yet." if counts.not_run else ""
    return Card(
        "Automated checks",
        f"{counts.failing_checks} of {counts.checks} checks failing, {plural(counts.failing_controls, 'control')} failing.{not_run} "
        "Encryption, owners, retention, notices, erasure deadlines, MFA, the audit chain and keys, checked hourly.",
        reverse("controls:check_list"),
        "Open the checks",
    )


def _my_training_card(user) -> Card | None:
    # Imported here, like the erasure card: the home page only reads the employee's own assignments.
    from django.utils import timezone

    from compliance.staff_training.models import Assignment
    from compliance.staff_training.selectors import assignments_for_employee, employee_for_user

    employee = employee_for_user(user=user)
    if employee is None:
        return None
    now = timezone.now()
    open_assignments = list(
        assignments_for_employee(user=user, employee=employee).filter(status__in=Assignment.OPEN_STATUSES).order_by("due_at")
    )
    overdue = [assignment for assignment in open_assignments if assignment.due_at < now]
    if not open_assignments:
        text = "All your training is current. Download your certificates of completion."
    else:
        first = open_assignments[0]
        text = (
            f"{len(open_assignments)} to do, {len(overdue)} overdue. Next: {first.requirement_title}, "
            f"due {timezone.localtime(first.due_at):%Y-%m-%d}."
        )
    return Card("My training", text, reverse("staff_training:my_training"), "Open my training")


def _training_compliance_card(user) -> Card:
    from compliance.staff_training.selectors import training_summary

    summary = training_summary()
    return Card(
        "Staff training",
        f"{summary.current_employees} of {summary.in_scope_employees} employees current, "
        f"{summary.overdue_assignments} overdue assignments. Completion per course and department, and the overdue list.",
        reverse("staff_training:compliance"),
        "Open training compliance",
    )


def cards_for(user) -> list[Card]:
    """Return the home-page cards for ``user``'s roles and permissions."""
    cards = []
    if user.has_perm("audit.view_auditevent"):
        cards.append(
            Card(
                "Audit log",
                "Every change, export, login and refusal, hash-chained. Check the chain status and filter events.",
                reverse("audit:event_list"),
                "Open the audit log",
            )
        )
    if user.has_perm("accounts.manage_users"):
        cards.append(
            Card(
                "Users and roles",
                "Create accounts, assign roles, set auditors' end dates and reset lost authenticators.",
                reverse("accounts:user_list"),
                "Manage users",
            )
        )
    if user.has_perm("datasets.view_dataset") or user.has_perm("datasets.add_dataset"):
        cards.append(
            Card(
                "Datasets",
                "What personal data is held, why, for how long, where it is stored and how it is protected; gaps flagged.",
                reverse("datasets:list"),
                "Open the dataset registry",
            )
        )
    if user.has_perm("datasets.view_mlmodel") or user.has_perm("datasets.add_mlmodel"):
        cards.append(_models_card(user))
    if user.has_perm("consent.view_datasubject"):
        cards.append(
            Card(
                "Consent",
                "Find a data subject, see what they agreed to under which notice, and download their consent receipt.",
                reverse("consent:subject_search"),
                "Find a subject",
            )
        )
    if user.has_perm("erasure.view_erasurerequest"):
        cards.append(_erasure_card(user))
    if user.has_perm("controls.view_checkresult"):
        cards.append(_monitoring_card(user))
    if user.has_perm("staff_training.view_assignment"):
        cards.append(_training_compliance_card(user))
    my_training = _my_training_card(user)
    if my_training is not None:
        # An employee's own training comes first: for the Employee role it is the reason to sign in.
        cards.insert(0, my_training)
    cards.append(
        Card(
            "Your account",
            "Your authenticator, backup codes and the browsers you are signed in on.",
            reverse("accounts:security"),
            "Account security",
        )
    )
    return cards
