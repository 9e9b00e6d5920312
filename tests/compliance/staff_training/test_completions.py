"""Completions by a manager, policy acknowledgements by the employee, waivers, and the LMS CSV import with its report."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training import services
from compliance.staff_training.models import Assignment, Completion, LmsImport
from compliance.staff_training.services import TrainingActionRefused
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db
SAMPLE_LMS = Path(__file__).resolve().parents[3] / "compliance/staff_training/samples/lms_completions.csv"


@pytest.fixture
def team(make_user):
    """A manager (with a Custos account) and their report, both assigned dp-basics (pass mark 80)."""
    builders.course("dp-basics", passing_score=80)
    boss_user = make_user(Role.EMPLOYEE)
    boss = builders.employee(user=boss_user)
    worker_user = make_user(Role.EMPLOYEE)
    worker = builders.employee(manager=boss, user=worker_user, email="worker@example.org")
    services.sync_assignments(now=timezone.now())
    return boss_user, worker_user, worker, Assignment.objects.get(employee=worker)


def test_the_direct_manager_records_a_completion_with_evidence(team):
    boss_user, _, worker, assignment = team
    when = timezone.now() - timedelta(days=1)

    completion = services.record_manager_completion(
        actor=boss_user, assignment=assignment, completed_at=when, evidence_note="Certificate seen", score=85
    )

    assignment.refresh_from_db()
    assert (assignment.status, assignment.completed_at, assignment.expires_at) == ("completed", when, when + timedelta(days=365))
    assert (completion.source, completion.evidence_note, completion.recorded_by) == ("manager", "Certificate seen", boss_user)
    event = AuditEvent.objects.get(action="training.completion_recorded")
    assert (event.data["employee"], event.data["course"], event.data["score"]) == (worker.employee_number, "dp-basics", "85")
    assert "Certificate" not in str(Completion.objects.filter(pk=completion.pk).values_list("evidence_note", flat=True).get())


@pytest.mark.parametrize(
    ("who", "kwargs", "message"),
    [
        ("stranger", {}, "Only the employee's manager or a compliance manager can record their training."),
        ("boss", {"evidence_note": "  "}, "Say what the evidence is (for example “certificate seen, LMS export of 3 May”)."),
        ("boss", {"score": 60}, "A score of 60% is below dp-basics's passing score of 80%."),
        ("boss", {"completed_at_days": -3}, None),
    ],
)
def test_manager_completions_are_refused_with_a_reason(team, make_user, who, kwargs, message):
    boss_user, _, _, assignment = team
    actor = boss_user if who == "boss" else make_user(Role.EMPLOYEE)
    days = kwargs.pop("completed_at_days", 0)
    arguments = {"evidence_note": "Seen", "completed_at": timezone.now() - timedelta(days=days), **kwargs}
    with pytest.raises(TrainingActionRefused) as refusal:
        services.record_manager_completion(actor=actor, assignment=assignment, **arguments)
    if message:
        assert str(refusal.value) == message
    else:
        assert str(refusal.value).endswith("is in the future.")
    assert not Completion.objects.exists()


def test_nobody_records_their_own_training(make_user):
    builders.course()
    user = make_user(Role.COMPLIANCE_MANAGER)
    builders.employee(user=user)
    services.sync_assignments(now=timezone.now())

    with pytest.raises(TrainingActionRefused) as refusal:
        services.record_manager_completion(
            actor=user, assignment=Assignment.objects.get(), completed_at=timezone.now(), evidence_note="Seen"
        )
    assert str(refusal.value) == "You cannot record your own training; your manager or a compliance manager can."


def test_a_completed_assignment_cannot_be_completed_again(team):
    boss_user, _, _, assignment = team
    services.record_manager_completion(actor=boss_user, assignment=assignment, completed_at=timezone.now(), evidence_note="Seen", score=90)

    with pytest.raises(TrainingActionRefused) as refusal:
        services.record_manager_completion(actor=boss_user, assignment=assignment, completed_at=timezone.now(), evidence_note="Seen", score=90)
    assert str(refusal.value) == "This assignment is completed; only an open assignment can be completed."


def test_the_employee_acknowledges_their_policy_version_with_the_time_recorded(make_user):
    policy = builders.policy()
    builders.version(policy, "2.0", date(2026, 1, 1))
    user = make_user(Role.EMPLOYEE)
    worker = builders.employee(user=user)
    services.sync_assignments(now=timezone.now())
    assignment = Assignment.objects.get(employee=worker)

    completion = services.acknowledge_policy(actor=user, assignment=assignment)

    assert (completion.source, completion.policy_version.version) == ("self_attestation", "2.0")
    event = AuditEvent.objects.get(action="training.policy_acknowledged")
    assert (event.data["policy"], event.data["version"]) == ("acceptable-use", "2.0")
    assert event.data["acknowledged_at"] == completion.completed_at.isoformat()
    with pytest.raises(TrainingActionRefused) as again:
        services.acknowledge_policy(actor=user, assignment=assignment)
    assert str(again.value).startswith("You already acknowledged Acceptable use policy version 2.0 on ")


def test_only_the_employee_acknowledges_their_policy(make_user):
    policy = builders.policy()
    builders.version(policy, "1.0", date(2026, 1, 1))
    builders.employee(user=make_user(Role.EMPLOYEE))
    services.sync_assignments(now=timezone.now())

    with pytest.raises(TrainingActionRefused) as refusal:
        services.acknowledge_policy(actor=make_user(Role.COMPLIANCE_MANAGER), assignment=Assignment.objects.get())
    assert str(refusal.value) == "Only the employee themselves can acknowledge a policy."


def test_a_compliance_manager_waives_with_a_reason_and_is_the_approver(team, manager_user):
    _, _, _, assignment = team

    waived = services.waive_assignment(actor=manager_user, assignment=assignment, reason="On parental leave until June")

    assert (waived.status, waived.waiver_reason, waived.waived_by) == ("waived", "On parental leave until June", manager_user)
    assert waived.expires_at == waived.waived_at + timedelta(days=365)
    assert AuditEvent.objects.filter(action="training.assignment_waived", target_id=str(assignment.pk)).exists()


@pytest.mark.parametrize(
    ("role", "reason", "message"),
    [
        (Role.EMPLOYEE, "Leave", "Only a compliance manager can waive training."),
        (Role.AUDITOR, "Leave", "Only a compliance manager can waive training."),
        (Role.COMPLIANCE_MANAGER, " ", "Give the reason for the waiver (it is kept with the assignment and shown to auditors)."),
    ],
)
def test_waivers_are_refused_without_the_permission_or_a_reason(team, make_user, role, reason, message):
    with pytest.raises(TrainingActionRefused) as refusal:
        services.waive_assignment(actor=make_user(role), assignment=team[3], reason=reason)
    assert str(refusal.value) == message


def test_the_lms_import_reports_matched_unmatched_and_rejected_rows(team, manager_user):
    _, _, worker, assignment = team
    builders.course("secure-ml", audience_job_roles=["ML engineer"])
    content = (
        "course_code,employee_email,employee_id,completed_at,score\n"
        f"dp-basics,WORKER@example.org,,2026-02-10T09:30:00Z,92\n"
        "dp-basics,nobody@example.org,,2026-02-10,90\n"
        "no-such-course,,{number},2026-02-10,90\n"
        "dp-basics,,{number},2026-02-11,55\n"
        "dp-basics,,{number},someday,90\n"
        "secure-ml,,{number},2026-02-10,\n"
        "dp-basics,,,2026-02-10,90\n"
    ).replace("{number}", worker.employee_number)

    preview = services.preview_lms_import(content=content)
    assert [(row.line, row.outcome, row.message) for row in preview.rows] == [
        (2, "matched", "Will be recorded."),
        (3, "unmatched", "No employee has this email."),
        (4, "unmatched", "No course has the code 'no-such-course'."),
        (5, "rejected", "A score of 55% is below dp-basics's passing score of 80%."),
        (6, "rejected", "completed_at 'someday' is not a date or time like 2026-03-31 or 2026-03-31T14:05:00Z."),
        (7, "rejected", f"Employee {worker.employee_number} is not required to take secure-ml and has no assignment of it."),
        (8, "rejected", "Give employee_email or employee_id."),
    ]
    assert not Completion.objects.exists()

    run = services.apply_lms_import(actor=manager_user, content=content, filename="lms.csv")
    assert (run.matched_count, run.unmatched_count, run.rejected_count) == (1, 2, 4)
    assignment.refresh_from_db()
    assert assignment.status == "completed"
    assert Completion.objects.get().lms_import == run
    assert AuditEvent.objects.get(action="training.lms_imported").data == {
        "filename": "lms.csv", "matched": 1, "unmatched": 2, "rejected": 4
    }

    again = services.apply_lms_import(actor=manager_user, content=content)
    assert again.report[0]["message"] == "Already recorded."
    assert Completion.objects.count() == 1
    assert LmsImport.objects.count() == 2


def test_an_lms_completion_while_the_last_is_still_valid_starts_a_new_cycle(team, manager_user):
    boss_user, _, worker, assignment = team
    services.record_manager_completion(
        actor=boss_user, assignment=assignment, completed_at=timezone.now() - timedelta(days=100), evidence_note="Seen", score=90
    )
    day = timezone.localdate().isoformat()

    services.apply_lms_import(actor=manager_user, content=f"course_code,employee_id,completed_at,score\ndp-basics,{worker.employee_number},{day},95\n")

    cycles = list(Assignment.objects.filter(employee=worker).order_by("cycle").values_list("cycle", "reason", "status"))
    assert cycles == [(1, "scheduled", "completed"), (2, "early_completion", "completed")]


def test_the_sample_lms_file_reads(manager_user):
    preview = services.preview_lms_import(content=SAMPLE_LMS.read_bytes())

    assert [row.outcome for row in preview.rows] == ["unmatched", "unmatched", "unmatched"]
