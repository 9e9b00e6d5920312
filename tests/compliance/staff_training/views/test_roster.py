"""The roster pages: the list with its filters and masked emails, one employee's history, a completion entered
by a manager and a waiver (compliance/staff_training/views/roster.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training.models import Assignment, Completion
from tests.compliance.staff_training import builders
from tests.compliance.staff_training.views.conftest import assignment, employee_of

pytestmark = pytest.mark.django_db
Status = Assignment.Status


def test_the_roster_lists_names_with_masked_work_emails_and_overdue_counts(client_for):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    boss = builders.employee(employee_number="E-1", name="Maya Okafor", email="maya.okafor@example.org")
    late = builders.employee(employee_number="E-2", name="Tom Reyes", email="tom.reyes@example.org", manager=boss)
    assignment(late, course=builders.course(), status=Status.OVERDUE, due_in_days=-3)

    html = client.get(reverse("staff_training:employee_list")).content.decode()

    assert "Maya Okafor" in html and "Tom Reyes" in html
    assert "t•••@example.org" in html
    assert "tom.reyes@example.org" not in html and "maya.okafor@example.org" not in html
    assert '<span class="badge badge-bad">1</span>' in html


def test_the_roster_filters_by_department_status_and_exact_email(client_for):
    client, _ = client_for(Role.AUDITOR)
    builders.employee(employee_number="E-1", name="Clinical Person", department="Clinical", email="clinic@example.org")
    late = builders.employee(employee_number="E-2", name="Late Engineer", department="Engineering")
    assignment(late, course=builders.course(), status=Status.OVERDUE, due_in_days=-3)
    url = reverse("staff_training:employee_list")

    clinical = client.get(url + "?department=Clinical").content.decode()
    overdue = client.get(url + "?status=overdue").content.decode()
    by_email = client.get(url + "?q=CLINIC@example.org").content.decode()

    assert "Clinical Person" in clinical and "Late Engineer" not in clinical
    assert "Late Engineer" in overdue and "Clinical Person" not in overdue
    assert "Clinical Person" in by_email and "Late Engineer" not in by_email


def test_an_unknown_filter_value_says_so_instead_of_failing(client_for):
    client, _ = client_for(Role.AUDITOR)

    response = client.get(reverse("staff_training:employee_list") + "?status=sleepy")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice. sleepy is not one of the available choices." in html
    assert "No employee is shown until the filters above are corrected." in html


def test_the_employee_page_shows_every_cycle_with_its_proof(client_for):
    client, manager = client_for(Role.COMPLIANCE_MANAGER)
    person = builders.employee(name="Tom Reyes")
    course = builders.course(title="Data protection basics")
    assignment(person, course=course, status=Status.EXPIRED, cycle=1, completed_at=timezone.now() - timedelta(days=400))
    assignment(person, course=course, status=Status.WAIVED, cycle=2, waiver_reason="Certificate from previous employer", waived_by=manager, waived_at=timezone.now())

    html = client.get(reverse("staff_training:employee_detail", kwargs={"pk": person.pk})).content.decode()

    assert "Assignments (2)" in html
    assert f"Waived by {manager.get_username()}: Certificate from previous employer" in html
    assert "Expired" in html


def test_a_manager_records_a_completion_with_evidence_and_it_is_audited(client_for):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    person = builders.employee(name="Tom Reyes")
    pending = assignment(person, course=builders.course(title="Data protection basics", passing_score=80))
    url = reverse("staff_training:completion_record", kwargs={"pk": person.pk})

    form = client.get(url).content.decode()
    response = client.post(
        url,
        {"assignment": pending.pk, "completed_on": timezone.localdate().isoformat(), "score": "85", "evidence_note": "Attended the 3 May session"},
        follow=True,
    )

    assert "Data protection basics (due" in form
    assert "Completion of Data protection basics recorded for Tom Reyes." in response.content.decode()
    completion = Completion.objects.get(assignment=pending)
    assert completion.source == Completion.Source.MANAGER and completion.evidence_note == "Attended the 3 May session"
    assert AuditEvent.objects.get(action="training.completion_recorded").data["course"] == pending.course.code


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"evidence_note": ""}, "Say what proves the completion (the evidence note is required)."),
        ({"completed_on": "2999-01-01"}, "A completion cannot be in the future."),
        ({"score": "150"}, "Ensure this value is less than or equal to 100."),
        ({"assignment": "999999"}, "Choose one of this employee&#x27;s open courses."),
    ],
)
def test_a_bad_completion_is_refused_with_a_clear_message(client_for, data, message):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    person = builders.employee()
    pending = assignment(person, course=builders.course())
    post = {"assignment": pending.pk, "completed_on": timezone.localdate().isoformat(), "score": "", "evidence_note": "Seen", **data}

    response = client.post(reverse("staff_training:completion_record", kwargs={"pk": person.pk}), post)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Completion.objects.exists()


def test_a_score_below_the_passing_score_is_refused_by_the_service_with_its_reason(client_for):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    person = builders.employee()
    pending = assignment(person, course=builders.course("quiz-course", passing_score=80))
    post = {"assignment": pending.pk, "completed_on": timezone.localdate().isoformat(), "score": "40", "evidence_note": "Quiz sheet"}

    response = client.post(reverse("staff_training:completion_record", kwargs={"pk": person.pk}), post)

    assert response.status_code == 400
    assert "A score of 40% is below quiz-course&#x27;s passing score of 80%." in response.content.decode()
    assert not Completion.objects.exists()


def test_a_line_manager_records_for_their_report_but_not_for_others(client_for):
    client, user = client_for(Role.EMPLOYEE)
    me = employee_of(user)
    report = builders.employee(manager=me)
    stranger = builders.employee()

    assert client.get(reverse("staff_training:completion_record", kwargs={"pk": report.pk})).status_code == 200
    assert client.get(reverse("staff_training:completion_record", kwargs={"pk": stranger.pk})).status_code == 404


def test_a_waiver_needs_a_reason_and_records_the_approver(client_for):
    client, manager = client_for(Role.COMPLIANCE_MANAGER)
    pending = assignment(builders.employee(name="Tom Reyes"), course=builders.course(title="HIPAA basics"))
    url = reverse("staff_training:assignment_waive", kwargs={"pk": pending.pk})

    refused = client.post(url, {"reason": ""})
    response = client.post(url, {"reason": "Certified by the previous employer in 2026"}, follow=True)

    assert refused.status_code == 400 and "Give the reason for the waiver." in refused.content.decode()
    assert "HIPAA basics waived for Tom Reyes; you are recorded as the approver." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Status.WAIVED and pending.waived_by == manager
    assert AuditEvent.objects.filter(action="training.assignment_waived").count() == 1


def test_waiving_a_completed_assignment_is_refused_with_the_reason(client_for):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    done = assignment(builders.employee(), course=builders.course(), status=Status.COMPLETED)

    response = client.post(reverse("staff_training:assignment_waive", kwargs={"pk": done.pk}), {"reason": "No need"})

    assert response.status_code == 400
    assert "This assignment is completed; only an open assignment can be waived." in response.content.decode()


def test_a_compliance_manager_links_an_employee_to_their_account_and_it_is_audited(client_for, make_user):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    person = builders.employee(name="Tom Reyes")
    account = make_user(Role.EMPLOYEE, username="tom")
    url = reverse("staff_training:employee_link", kwargs={"pk": person.pk})

    response = client.post(url, {"username": "tom"}, follow=True)

    assert "Tom Reyes is linked to the account tom." in response.content.decode()
    person.refresh_from_db()
    assert person.user == account
    assert AuditEvent.objects.get(action="training.employee_linked").data["user"] == account.pk


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody", "No active Custos account has this username."), ("taken", "taken is already linked to another employee.")],
)
def test_a_bad_account_link_says_why(client_for, make_user, username, message):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    builders.employee(user=make_user(Role.EMPLOYEE, username="taken"))
    person = builders.employee()

    response = client.post(reverse("staff_training:employee_link", kwargs={"pk": person.pk}), {"username": username}, follow=True)

    assert message in response.content.decode()
    person.refresh_from_db()
    assert person.user is None
