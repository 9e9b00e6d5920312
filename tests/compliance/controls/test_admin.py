"""Controls records in Django admin: readable by staff, never editable; evidence files are not served there."""

import pytest
from django.urls import reverse

from compliance.accounts.models import User
from compliance.controls.models import Control, Evidence
from tests.compliance.controls.conftest import make_assessment, upload
from tests.conftest import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_reads_controls_records_and_changes_nothing(framework, manager):
    make_assessment(framework, manager)
    evidence = upload(manager, controls=[Control.objects.get(code="CTL-ENC-01")])
    client = verified_client(User.objects.create_superuser("root", "root@staff.example.org", DEFAULT_PASSWORD))

    for model in ("framework", "requirement", "control", "assessment", "requirementassessment", "requirementassessmentchange", "evidence"):
        assert client.get(reverse(f"admin:controls_{model}_changelist")).status_code == 200, model
    page = client.get(reverse("admin:controls_evidence_change", args=[evidence.pk]))
    assert page.status_code == 200 and evidence.stored_name not in page.content.decode()
    assert client.get(reverse("admin:controls_control_add")).status_code == 403
    assert client.post(reverse("admin:controls_evidence_delete", args=[evidence.pk]), {"post": "yes"}).status_code == 403
    assert Evidence.objects.count() == 1
