"""The employee's own pages: My training, the one-click acknowledgement, the policy text and document, the
certificate of completion, and the team view (compliance/staff_training/views/mine.py)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training.models import Assignment, Completion
from tests.compliance.staff_training import builders
from tests.compliance.staff_training.views.conftest import assignment, completed, employee_of

pytestmark = pytest.mark.django_db
Status = Assignment.Status


def no_store(response) -> bool:
    return "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]


def test_a_user_without_an_employee_record_is_told_why_nothing_is_assigned(client_for):
    client, _ = client_for(Role.EMPLOYEE)

    response = client.get(reverse("staff_training:my_training"))

    assert response.status_code == 200
    assert "Your account is not linked to an employee on the training roster" in response.content.decode()


def test_my_training_lists_what_is_to_do_done_and_expired(client_for):
    client, user = client_for(Role.EMPLOYEE)
    me = employee_of(user, name="Ada Lovelace")
    assignment(me, course=builders.course("hipaa", title="HIPAA for the clinical team"), status=Status.OVERDUE, due_in_days=-3)
    done = completed(me, builders.course("dp-basics", title="Data protection basics"))
    assignment(me, course=builders.course("secure-ml", title="Secure ML engineering"), status=Status.EXPIRED, completed_at=done.completed_at)

    html = client.get(reverse("staff_training:my_training")).content.decode()

    assert "Ada Lovelace" in html
    todo, rest = html.split('id="done-heading"')
    assert "HIPAA for the clinical team" in todo and "Overdue" in todo
    assert "Data protection basics" in rest.split('id="expired-heading"')[0]
    assert reverse("staff_training:certificate", kwargs={"pk": done.pk}) in html
    assert "Secure ML engineering" in rest.split('id="expired-heading"')[1]


def test_someone_elses_training_is_not_shown(client_for):
    client, user = client_for(Role.EMPLOYEE)
    employee_of(user)
    assignment(builders.employee(), course=builders.course(title="Someone else's course"))

    html = client.get(reverse("staff_training:my_training")).content.decode()

    assert "Someone else&#x27;s course" not in html and "Someone else's course" not in html
    assert "Nothing to do: all your training is current." in html


def _policy_assignment(employee, **fields):
    policy = builders.policy(title="Acceptable use policy")
    version = builders.version(policy, "2.0", date(2026, 1, 1))
    return assignment(employee, policy_version=version, **fields)


def test_an_employee_acknowledges_a_policy_in_one_click_and_the_version_and_time_are_recorded(client_for):
    client, user = client_for(Role.EMPLOYEE)
    pending = _policy_assignment(employee_of(user))

    response = client.post(reverse("staff_training:acknowledge", kwargs={"pk": pending.pk}), follow=True)

    assert response.status_code == 200
    assert "You acknowledged Acceptable use policy version 2.0 on" in response.content.decode()
    completion = Completion.objects.get(assignment=pending)
    assert completion.source == Completion.Source.SELF_ATTESTATION
    assert completion.policy_version_id == pending.policy_version_id
    event = AuditEvent.objects.get(action="training.policy_acknowledged")
    assert event.data["version"] == "2.0" and event.data["acknowledged_at"]
    pending.refresh_from_db()
    assert pending.status == Status.COMPLETED


def test_acknowledging_twice_says_when_it_was_done(client_for):
    client, user = client_for(Role.EMPLOYEE)
    pending = _policy_assignment(employee_of(user))
    url = reverse("staff_training:acknowledge", kwargs={"pk": pending.pk})
    client.post(url)

    response = client.post(url, follow=True)

    assert "You already acknowledged Acceptable use policy version 2.0 on" in response.content.decode()
    assert Completion.objects.filter(assignment=pending).count() == 1


def test_another_persons_acknowledgement_is_not_found(client_for):
    client, user = client_for(Role.EMPLOYEE)
    employee_of(user)
    theirs = _policy_assignment(builders.employee())

    response = client.post(reverse("staff_training:acknowledge", kwargs={"pk": theirs.pk}))

    assert response.status_code == 404
    assert not Completion.objects.exists()


def test_acknowledge_refuses_get(client_for):
    client, user = client_for(Role.EMPLOYEE)
    pending = _policy_assignment(employee_of(user))

    assert client.get(reverse("staff_training:acknowledge", kwargs={"pk": pending.pk})).status_code == 405


def test_the_policy_text_and_document_are_readable_by_the_assignee_and_the_download_is_audited(client_for):
    client, user = client_for(Role.EMPLOYEE)
    policy = builders.policy(title="Acceptable use policy")
    version = builders.version(policy, "2.0", date(2026, 1, 1), file=SimpleUploadedFile("aup.pdf", b"%PDF-1.4 policy"))
    assignment(employee_of(user), policy_version=version)

    page = client.get(reverse("staff_training:policy_version_text", kwargs={"pk": version.pk}))
    document = client.get(reverse("staff_training:policy_version_document", kwargs={"pk": version.pk}))

    assert page.status_code == 200 and "Text of 2.0" in page.content.decode()
    assert document.status_code == 200
    assert b"".join(document.streaming_content) == b"%PDF-1.4 policy"
    assert document["Content-Disposition"].startswith("attachment")
    assert document["X-Content-Type-Options"] == "nosniff" and no_store(document)
    assert AuditEvent.objects.get(action="staff_training.policy_document_downloaded").data == {"policy": policy.code, "version": "2.0"}


def test_a_policy_version_not_assigned_to_the_user_is_not_found(client_for):
    client, user = client_for(Role.EMPLOYEE)
    employee_of(user)
    version = builders.version(builders.policy(), "1.0", date(2026, 1, 1))

    assert client.get(reverse("staff_training:policy_version_text", kwargs={"pk": version.pk})).status_code == 404


def test_the_certificate_is_a_pdf_attachment_and_its_download_is_audited(client_for):
    client, user = client_for(Role.EMPLOYEE)
    done = completed(employee_of(user, name="Ada Lovelace"), builders.course("dp-basics", title="Data protection basics"), score=92)

    response = client.get(reverse("staff_training:certificate", kwargs={"pk": done.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith('attachment; filename="certificate-dp-basics-')
    assert response["X-Content-Type-Options"] == "nosniff" and no_store(response)
    event = AuditEvent.objects.get(action="staff_training.certificate_downloaded")
    assert event.target_id == str(done.pk) and event.data["course"] == "dp-basics" and len(event.data["sha256"]) == 64


def test_someone_elses_certificate_is_not_found(client_for):
    client, user = client_for(Role.EMPLOYEE)
    employee_of(user)
    theirs = completed(builders.employee(), builders.course())

    assert client.get(reverse("staff_training:certificate", kwargs={"pk": theirs.pk})).status_code == 404
    assert not AuditEvent.objects.filter(action="staff_training.certificate_downloaded").exists()


def test_the_team_view_shows_each_report_and_what_is_overdue(client_for):
    client, user = client_for(Role.EMPLOYEE)
    me = employee_of(user)
    late = builders.employee(name="Grace Hopper", manager=me)
    builders.employee(name="Alan Turing", manager=me)
    builders.employee(name="Not In My Team")
    assignment(late, course=builders.course(title="Data protection basics"), status=Status.OVERDUE, due_in_days=-5)

    html = client.get(reverse("staff_training:team")).content.decode()

    assert "Grace Hopper" in html and "Alan Turing" in html and "Not In My Team" not in html
    overdue = html.split('id="overdue-heading"')[1]
    assert "Overdue (1)" in html and "Grace Hopper" in overdue and "Data protection basics" in overdue


def test_the_team_view_without_reports_says_so(client_for):
    client, user = client_for(Role.EMPLOYEE)
    employee_of(user)

    assert "Nobody on the roster reports to you." in client.get(reverse("staff_training:team")).content.decode()


def test_the_team_view_makes_the_same_queries_for_10_and_1000_reports(client_for, django_assert_max_num_queries):
    from tests.compliance.staff_training.views.test_queries import assert_constant_queries, grow_team

    client, user = client_for(Role.EMPLOYEE)
    me = employee_of(user)
    assert_constant_queries(client, reverse("staff_training:team"), grow_team(me), django_assert_max_num_queries)


def test_a_policy_acknowledgement_has_a_certificate_naming_the_version(client_for):
    client, user = client_for(Role.EMPLOYEE)
    pending = _policy_assignment(employee_of(user))
    client.post(reverse("staff_training:acknowledge", kwargs={"pk": pending.pk}))
    completion = Completion.objects.get(assignment=pending)

    response = client.get(reverse("staff_training:certificate", kwargs={"pk": completion.pk}))

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith(f'attachment; filename="certificate-{pending.policy_version.policy.code}-')
    event = AuditEvent.objects.get(action="staff_training.certificate_downloaded")
    assert event.data["policy_version"] == pending.policy_version_id and event.data["course"] is None


def test_a_line_manager_opens_a_reports_page_without_the_waive_action(client_for):
    client, user = client_for(Role.EMPLOYEE)
    report = builders.employee(name="Grace Hopper", manager=employee_of(user))
    pending = assignment(report, course=builders.course(title="Data protection basics"))

    html = client.get(reverse("staff_training:employee_detail", kwargs={"pk": report.pk})).content.decode()

    assert "Grace Hopper" in html and "Data protection basics" in html
    assert reverse("staff_training:completion_record", kwargs={"pk": report.pk}) in html
    assert reverse("staff_training:assignment_waive", kwargs={"pk": pending.pk}) not in html
