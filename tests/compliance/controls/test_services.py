"""The controls services: controls and their mapping, assessments, status updates with history; each audited."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from compliance.audit.models import AuditEvent
from compliance.controls import services
from compliance.controls.models import Assessment, Control, RequirementAssessment, RequirementAssessmentChange
from tests.compliance.controls.conftest import make_assessment, requirement

pytestmark = pytest.mark.django_db


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("sequence")


def test_create_control_is_audited_and_refuses_a_taken_code(framework, manager):
    control = services.create_control(actor=manager, code="ctl-hr-03", title="Staff complete privacy training yearly")

    assert control.code == "CTL-HR-03" and not control.is_default and control.status == "not_implemented"
    assert last_event("controls.control_created").data == {"code": "CTL-HR-03", "status": "not_implemented", "owner_id": None}
    with pytest.raises(ValidationError) as refused:
        services.create_control(actor=manager, code="CTL-HR-03", title="Again")
    assert refused.value.message_dict == {"code": ["A control with code CTL-HR-03 already exists."]}


def test_update_control_records_what_changed(framework, manager):
    control = Control.objects.get(code="CTL-ENC-01")

    services.update_control(actor=manager, control=control, title=control.title, description=control.description, owner=manager, status="implemented")

    event = last_event("controls.control_updated")
    assert event.data == {"code": "CTL-ENC-01", "fields": ["owner_id", "status"], "status": ["not_implemented", "implemented"], "owner_id": [None, manager.pk]}
    control.refresh_from_db()
    assert control.status == "implemented" and control.owner == manager


def test_mapping_and_unmapping_are_audited_with_framework_refs(framework, manager):
    control = Control.objects.get(code="CTL-ENC-01")

    assert services.map_requirements(actor=manager, control=control, requirements=[requirement("Art. 1(1)"), requirement("Art. 2(1)")]) == 1
    assert last_event("controls.control_mapped").data == {"code": "CTL-ENC-01", "added": ["demo:Art. 2(1)"]}
    assert services.unmap_requirement(actor=manager, control=control, requirement=requirement("Art. 2(1)"))
    assert last_event("controls.control_unmapped").data == {"code": "CTL-ENC-01", "removed": "demo:Art. 2(1)"}
    assert not services.unmap_requirement(actor=manager, control=control, requirement=requirement("Art. 2(1)"))


def test_create_assessment_makes_one_row_per_assessable_requirement(framework, manager):
    assessment = make_assessment(framework, manager)

    refs = sorted(assessment.items.values_list("requirement__ref", flat=True))
    assert refs == ["Art. 1(1)", "Art. 1(2)", "Art. 2(1)", "Art. 3"]
    assert set(assessment.items.values_list("status", flat=True)) == {"not_started"}
    event = last_event("controls.assessment_created")
    assert event.target_id == str(assessment.pk)
    assert event.data["requirements"] == 4 and event.data["framework"] == "demo"


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"scope": "dataset"}, {"dataset": ["Choose the dataset this assessment covers."]}),
        (
            {"period_start": date(2026, 6, 1), "period_end": date(2026, 5, 31)},
            {"period_end": ["The period ends (31 May 2026) before it starts (01 June 2026)."]},
        ),
    ],
)
def test_create_assessment_refuses_bad_scope_and_period(framework, manager, values, errors):
    with pytest.raises(ValidationError) as refused:
        make_assessment(framework, manager, **values)

    assert refused.value.message_dict == errors
    assert not Assessment.objects.exists()


def test_the_database_refuses_a_dataset_scope_without_a_dataset(framework, manager):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            framework=framework, title="x", scope="dataset", period_start=date(2026, 1, 1), period_end=date(2026, 2, 1),
            owner=manager, created_by=manager,
        )


def test_updating_a_requirement_writes_history_clears_review_and_is_audited(framework, manager):
    assessment = make_assessment(framework, manager)
    item = assessment.items.get(requirement__ref="Art. 1(1)")
    RequirementAssessment.objects.filter(pk=item.pk).update(needs_review=True)

    services.update_requirement_assessment(
        actor=manager, item=item, status="partially_compliant", owner=manager, due_date=date(2026, 9, 30), notes="Two stores left"
    )

    item.refresh_from_db()
    assert item.status == "partially_compliant" and not item.needs_review and item.updated_by == manager
    changes = {change.field: (change.old_value, change.new_value) for change in RequirementAssessmentChange.objects.filter(item=item)}
    assert changes == {
        "status": ("Not started", "Partially compliant"),
        "owner": ("", manager.username),
        "due_date": ("", "2026-09-30"),
        "notes": ("", "Two stores left"),
    }
    event = last_event("controls.requirement_assessed")
    assert event.data == {
        "assessment_id": assessment.pk, "ref": "Art. 1(1)", "fields": ["due_date", "notes", "owner", "status"],
        "status": ["not_started", "partially_compliant"], "reviewed": True,
    }


def test_not_applicable_needs_a_justification(framework, manager):
    item = make_assessment(framework, manager).items.first()

    with pytest.raises(ValidationError) as refused:
        services.update_requirement_assessment(actor=manager, item=item, status="not_applicable")

    assert refused.value.message_dict == {"justification": [services.JUSTIFICATION_NEEDED]}


def test_bulk_update_sets_the_status_and_history_of_each_row(framework, manager):
    assessment = make_assessment(framework, manager)
    ids = list(assessment.items.filter(requirement__ref__in=["Art. 1(1)", "Art. 3"]).values_list("pk", flat=True))

    changed = services.bulk_update_status(actor=manager, assessment=assessment, item_ids=ids, status="compliant")

    assert changed == 2
    assert sorted(assessment.items.filter(status="compliant").values_list("requirement__ref", flat=True)) == ["Art. 1(1)", "Art. 3"]
    assert RequirementAssessmentChange.objects.filter(item_id__in=ids, field="status", new_value="Compliant").count() == 2
    assert last_event("controls.requirements_bulk_assessed").data == {"status": "compliant", "count": 2, "refs": ["Art. 1(1)", "Art. 3"]}


def test_bulk_not_applicable_without_justification_names_the_rows(framework, manager):
    assessment = make_assessment(framework, manager)
    ids = list(assessment.items.values_list("pk", flat=True))[:2]

    with pytest.raises(ValidationError) as refused:
        services.bulk_update_status(actor=manager, assessment=assessment, item_ids=ids, status="not_applicable")

    assert refused.value.message_dict["justification"] == [f"{services.JUSTIFICATION_NEEDED} (Art. 1(1), Art. 1(2) have none)."]
    assert services.bulk_update_status(
        actor=manager, assessment=assessment, item_ids=ids, status="not_applicable", justification="No such processing"
    ) == 2
    assert set(assessment.items.filter(pk__in=ids).values_list("justification", flat=True)) == {"No such processing"}


def test_bulk_update_refuses_rows_of_another_assessment(framework, manager):
    one, other = make_assessment(framework, manager), make_assessment(framework, manager, title="Other")

    with pytest.raises(ValidationError) as refused:
        services.bulk_update_status(actor=manager, assessment=one, item_ids=[other.items.first().pk], status="compliant")

    assert "not part of this assessment" in refused.value.message_dict["items"][0]
