"""The compliance view of training and its CSV export (compliance/staff_training/views/compliance.py)."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.staff_training.models import Assignment
from tests.compliance.staff_training import builders
from tests.compliance.staff_training.views.conftest import assignment, completed

pytestmark = pytest.mark.django_db
Status = Assignment.Status


@pytest.fixture
def organisation():
    dp = builders.course("dp-basics", title="Data protection basics")
    boss = builders.employee(employee_number="E-1", name="Maya Okafor", department="Executive")
    late = builders.employee(employee_number="E-2", name="=HYPERLINK(\"http://evil\")", department="Engineering", manager=boss)
    done = builders.employee(employee_number="E-3", name="Tom Reyes", department="Engineering")
    assignment(late, course=dp, status=Status.OVERDUE, due_in_days=-4)
    completed(done, dp)
    completed(boss, dp)
    version = builders.version(builders.policy(title="Acceptable use policy"), "2.0", date(2026, 1, 1))
    assignment(done, policy_version=version)
    return {"late": late, "course": dp}


def test_the_compliance_view_shows_completion_per_course_and_department_the_trend_and_the_overdue_list(organisation, client_for):
    client, _ = client_for(Role.AUDITOR)

    response = client.get(reverse("staff_training:compliance"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") >= 3
    assert 'id="training-by-course"' in html and 'id="training-by-department"' in html and 'id="training-trend"' in html
    by_course = html.split('id="by-course-heading"')[1].split('id="by-department-heading"')[0]
    assert "Data protection basics" in by_course and "66.7%" in by_course
    assert "Acceptable use policy v2.0" in by_course
    by_department = html.split('id="by-department-heading"')[1].split('id="trend-heading"')[0]
    assert "Engineering" in by_department and "50.0%" in by_department and "Executive" in by_department and "100.0%" in by_department
    overdue = html.split('id="overdue-heading"')[1]
    assert "Overdue (1)" in html and reverse("staff_training:employee_detail", kwargs={"pk": organisation["late"].pk}) in overdue
    assert "Maya Okafor" in overdue  # the manager


def test_the_compliance_view_never_shows_work_emails(organisation, client_for):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)

    html = client.get(reverse("staff_training:compliance")).content.decode()

    assert "@staff.example.org" not in html


def test_an_empty_organisation_shows_empty_charts_not_an_error(client_for):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)

    html = client.get(reverse("staff_training:compliance")).content.decode()

    assert "No course or policy is assigned yet." in html and "Nothing is overdue." in html


def test_the_export_streams_the_overdue_list_formula_safe_and_is_audited(organisation, client_for):
    client, user = client_for(Role.AUDITOR)

    response = client.get(reverse("staff_training:compliance_export"))

    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="custos-training-overdue-')
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["employee_id", "name", "department"]
    assert len(rows) == 2
    assert rows[1][0] == "E-2" and rows[1][1] == "'=HYPERLINK(\"http://evil\")" and rows[1][4] == "E-1"
    assert rows[1][6] == "dp-basics" and rows[1][9] == "4"
    event = AuditEvent.objects.get(action="export.downloaded")
    assert event.data["register"] == "training-overdue" and event.actor_id == str(user.pk)


def test_the_compliance_view_is_refused_to_roles_without_training_read(client_for):
    client, _ = client_for(Role.DPO)

    assert client.get(reverse("staff_training:compliance")).status_code == 403
    assert client.get(reverse("staff_training:compliance_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()
