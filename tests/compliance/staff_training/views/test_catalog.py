"""Courses and policies: create and edit a course, create a policy, add a version (text or file)
(compliance/staff_training/views/catalog.py)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training.models import Assignment, Course, Policy, PolicyVersion
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db

COURSE = {
    "code": "dp-basics",
    "title": "Data protection basics",
    "description": "GDPR for everyone",
    "audience_departments": "Engineering, Clinical",
    "audience_job_roles": "",
    "audience_roles": ["DPO"],
    "grace_days": "30",
    "valid_days": "365",
    "passing_score": "80",
    "proof_kind": "quiz_score",
    "xapi_activity_id": "https://lms.example.org/courses/dp-basics",
    "control_codes": "ctl-trn-01",
    "requirement_refs": "gdpr:Art. 39(1)(b)",
}


@pytest.fixture
def manager(client_for):
    return client_for(Role.COMPLIANCE_MANAGER)[0]


def test_a_course_is_created_with_its_audience_recurrence_and_controls_and_assigned(manager):
    engineer = builders.employee(department="Engineering")
    builders.employee(department="Sales")

    response = manager.post(reverse("staff_training:course_create"), COURSE, follow=True)

    assert response.redirect_chain[-1][0] == reverse("staff_training:course_detail", kwargs={"code": "dp-basics"})
    html = response.content.decode()
    assert "Course dp-basics created and assigned to its audience." in html
    assert "Engineering, Clinical, DPO (role)" in html and "Every 365 days" in html and "CTL-TRN-01" in html
    course = Course.objects.get(code="dp-basics")
    assert course.audience_departments == ["Engineering", "Clinical"] and course.control_codes == ["CTL-TRN-01"]
    assert list(Assignment.objects.filter(course=course).values_list("employee", flat=True)) == [engineer.pk]
    assert AuditEvent.objects.filter(action__startswith="training.course").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "Not A Slug", "Use lower-case letters and digits in words joined by hyphens, for example dp-basics."),
        ("control_codes", "nonsense", "Not a control code: NONSENSE. Use codes such as CTL-TRN-01."),
        ("passing_score", "120", "Ensure this value is less than or equal to 100."),
        ("valid_days", "0", "Ensure this value is greater than or equal to 1."),
        ("audience_roles", ["Wizard"], "Select a valid choice. Wizard is not one of the available choices."),
    ],
)
def test_a_bad_course_is_refused_with_a_clear_message(manager, field, value, message):
    response = manager.post(reverse("staff_training:course_create"), {**COURSE, field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Course.objects.exists()


def test_a_duplicate_course_code_is_refused_by_the_service(manager):
    builders.course("dp-basics")

    response = manager.post(reverse("staff_training:course_create"), COURSE)

    assert response.status_code == 400
    assert "Another course already uses this code or xAPI activity id." in response.content.decode()
    assert Course.objects.count() == 1


def test_editing_a_course_changes_it_but_not_its_code(manager):
    builders.course("dp-basics", title="Old title")
    url = reverse("staff_training:course_edit", kwargs={"code": "dp-basics"})

    form = manager.get(url).content.decode()
    response = manager.post(url, {**COURSE, "code": "changed", "title": "New title", "valid_days": "", "active": "on"}, follow=True)

    assert 'name="code"' not in form and "Old title" in form
    assert "Course dp-basics saved." in response.content.decode()
    course = Course.objects.get(code="dp-basics")
    assert course.title == "New title" and course.valid_days is None and course.active


def test_the_course_list_shows_each_course_and_its_figures(client_for):
    client, _ = client_for(Role.AUDITOR)
    builders.course("dp-basics", title="Data protection basics", control_codes=["CTL-TRN-01"])

    html = client.get(reverse("staff_training:course_list")).content.decode()

    assert "Data protection basics" in html and "CTL-TRN-01" in html and "0 of 0" in html


def test_a_policy_is_created_then_given_a_version_that_is_assigned(manager):
    person = builders.employee()

    created = manager.post(
        reverse("staff_training:policy_create"),
        {"code": "acceptable-use", "title": "Acceptable use policy", "audience_departments": "", "audience_job_roles": "", "grace_days": "14"},
        follow=True,
    )
    policy = Policy.objects.get(code="acceptable-use")
    response = manager.post(
        reverse("staff_training:policy_version_create", kwargs={"pk": policy.pk}),
        {"version": "1.0", "effective_date": "2026-01-01", "text": "Be careful with data."},
        follow=True,
    )

    assert "Policy Acceptable use policy created. Add its first version to assign it." in created.content.decode()
    html = response.content.decode()
    assert "Acceptable use policy version 1.0 added, in force from 2026-01-01" in html and "In force" in html
    assert Assignment.objects.filter(employee=person, policy_version__policy=policy).exists()
    assert AuditEvent.objects.filter(action__startswith="training.policy").exists()


def test_a_policy_version_may_be_a_file(manager):
    policy = builders.policy()

    manager.post(
        reverse("staff_training:policy_version_create", kwargs={"pk": policy.pk}),
        {"version": "2.0", "effective_date": "2026-02-01", "file": SimpleUploadedFile("aup-2.pdf", b"%PDF-1.4 v2")},
    )

    version = PolicyVersion.objects.get(policy=policy)
    assert version.file and not version.text


def test_a_policy_version_without_text_or_file_is_refused(manager):
    policy = builders.policy()

    response = manager.post(reverse("staff_training:policy_version_create", kwargs={"pk": policy.pk}), {"version": "1.0", "effective_date": "2026-01-01"})

    assert response.status_code == 400
    assert "Give the policy&#x27;s text or upload its document." in response.content.decode()
    assert not PolicyVersion.objects.exists()


def test_a_duplicate_version_number_is_refused_with_the_reason(manager):
    policy = builders.policy()
    builders.version(policy, "1.0", date(2026, 1, 1))

    response = manager.post(
        reverse("staff_training:policy_version_create", kwargs={"pk": policy.pk}), {"version": "1.0", "effective_date": "2026-03-01", "text": "x"}
    )

    assert response.status_code == 400
    assert "Acceptable use policy already has a version 1.0." in response.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_the_policy_list_shows_the_version_in_force(client_for):
    client, _ = client_for(Role.AUDITOR)
    policy = builders.policy(title="Acceptable use policy")
    builders.version(policy, "1.0", date(2025, 1, 1))
    builders.version(policy, "2.0", date(2026, 1, 1))
    builders.version(policy, "3.0", date(2999, 1, 1))

    html = client.get(reverse("staff_training:policy_list")).content.decode()

    assert "Version 2.0 since 2026-01-01" in html


def test_retiring_a_course_is_an_edit(manager):
    builders.course("dp-basics")

    response = manager.post(reverse("staff_training:course_edit", kwargs={"code": "dp-basics"}), {**COURSE, "active": ""}, follow=True)

    assert "Retired: assigns nothing new" in response.content.decode()
    assert not Course.objects.get(code="dp-basics").active
    assert 'name="active"' not in manager.get(reverse("staff_training:course_create")).content.decode()
