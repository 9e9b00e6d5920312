"""Training records in Django admin: readable by staff, never editable; no names or emails shown."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.models import User
from compliance.staff_training import services
from compliance.staff_training.models import Assignment, Employee
from tests.compliance.staff_training import builders
from tests.conftest import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
MODELS = (
    "employee", "course", "policy", "policyversion", "assignment", "completion",
    "xapistatement", "rosterimport", "lmsimport", "assignmentreminder", "managerdigest",
)


def test_admin_reads_training_records_and_changes_nothing():
    builders.course()
    policy = builders.policy()
    builders.version(policy, "1.0", date(2025, 1, 1))
    employee = builders.employee(name="Zelda Quartermain", email="zelda@example.org")
    services.sync_assignments(now=timezone.now())
    client = verified_client(User.objects.create_superuser("root", "root@staff.example.org", DEFAULT_PASSWORD))

    for model in MODELS:
        assert client.get(reverse(f"admin:staff_training_{model}_changelist")).status_code == 200, model
    page = client.get(reverse("admin:staff_training_employee_change", args=[employee.pk]))
    assert page.status_code == 200
    assert "Zelda" not in page.content.decode() and "zelda@" not in page.content.decode()
    assert client.get(reverse("admin:staff_training_course_add")).status_code == 403
    assignment = Assignment.objects.first()
    assert client.post(reverse("admin:staff_training_assignment_delete", args=[assignment.pk]), {"post": "yes"}).status_code == 403
    assert Employee.objects.count() == 1 and Assignment.objects.count() == 2
