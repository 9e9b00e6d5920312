"""The controls pages: status, content and audit event; constant queries on every list at 10 and 1,000 rows."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from compliance.controls.models import (
    Assessment,
    Control,
    Evidence,
    Framework,
    Requirement,
    RequirementAssessment,
)
from tests.compliance.controls.conftest import make_assessment, requirement

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client_for):
    return client_for(Role.COMPLIANCE_MANAGER)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def assert_constant_queries(client, url, grow, django_assert_max_num_queries):
    grow(10)
    with_ten = _queries(client, url)
    grow(990)
    with django_assert_max_num_queries(with_ten):
        response = client.get(url)
    assert response.status_code == 200
    return response


# --- Frameworks ----------------------------------------------------------------------------------


def test_the_framework_list_shows_assessable_counts(framework, client_for):
    client, _ = client_for(Role.AUDITOR)

    response = client.get(reverse("controls:framework_list"))

    assert response.status_code == 200
    frameworks = list(response.context["frameworks"])
    assert [(f.code, f.requirement_count, f.assessable_count) for f in frameworks] == [("demo", 8, 4)]
    assert "Demo Regulation" in response.content.decode()


def test_the_framework_search_highlights_matches_and_shows_their_ancestors(framework, client_for):
    client, _ = client_for(Role.AUDITOR)

    response = client.get(reverse("controls:framework_detail", kwargs={"code": "demo"}), {"q": "notice"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Publish a privacy <mark>notice</mark>" in html
    assert "Keeping data safe" not in html and "Telling people" in html
    assert "1 requirement matches “notice”" in html


def test_the_search_escapes_what_it_highlights(framework, client_for):
    client, _ = client_for(Role.AUDITOR)

    response = client.get(reverse("controls:framework_detail", kwargs={"code": "demo"}), {"q": "<script>"})

    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_the_requirement_page_shows_guidance_evidence_controls_and_assessments(framework, manager):
    from tests.conftest import verified_client

    make_assessment(framework, manager)
    client = verified_client(manager)

    response = client.get(reverse("controls:requirement_detail", kwargs={"pk": requirement("Art. 3").pk}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Erase a person&#x27;s data within a month" in html
    assert "Erasure request log" in html
    assert "CTL-ERA-01" in html and "Demo assessment" in html


def test_the_framework_tree_makes_the_same_queries_for_10_and_1000_requirements(framework, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)
    chapter = requirement("Chapter II")

    def grow(count):
        start = Requirement.objects.count()
        Requirement.objects.bulk_create(
            [
                Requirement(framework=framework, ref=f"X {start + n}", title=f"Extra {n}", parent=chapter, position=100 + start + n, depth=1, content_sha256="0" * 64)
                for n in range(count)
            ]
        )

    assert_constant_queries(client, reverse("controls:framework_detail", kwargs={"code": "demo"}), grow, django_assert_max_num_queries)


def test_the_framework_list_makes_the_same_queries_for_10_and_1000_frameworks(framework, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)

    def grow(count):
        start = Framework.objects.count()
        Framework.objects.bulk_create(
            [Framework(code=f"f{start + n}", name=f"F {start + n}", version="1", source="s", jurisdiction="j", content_sha256="0", loaded_at=timezone.now()) for n in range(count)]
        )

    assert_constant_queries(client, reverse("controls:framework_list"), grow, django_assert_max_num_queries)


# --- Controls ------------------------------------------------------------------------------------


def test_the_control_list_counts_mapped_requirements_per_framework(framework, client_for):
    client, _ = client_for(Role.DPO)

    response = client.get(reverse("controls:control_list"))

    assert response.status_code == 200
    rows = {control.code: counts for control, counts in response.context["rows"]}
    assert rows == {"CTL-ENC-01": [1], "CTL-ERA-01": [2]}
    assert "DEMO requirements" in response.content.decode()


def test_the_control_list_makes_the_same_queries_for_10_and_1000_controls(framework, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)
    mapped = requirement("Art. 1(1)")

    def grow(count):
        start = Control.objects.count()
        controls = Control.objects.bulk_create([Control(code=f"CTL-X-{start + n:04d}", title=f"Control {n}") for n in range(count)])
        Control.requirements.through.objects.bulk_create([Control.requirements.through(control_id=c.pk, requirement_id=mapped.pk) for c in controls])

    response = assert_constant_queries(client, reverse("controls:control_list"), grow, django_assert_max_num_queries)
    assert len(response.context["rows"]) == 50


def test_a_manager_creates_a_control_and_goes_on_to_map_it(framework, manager_client):
    client, manager = manager_client

    response = client.post(reverse("controls:control_create"), {"code": "ctl-hr-03", "title": "Staff complete privacy training yearly", "status": "planned"})

    assert response.status_code == 302 and response["Location"] == reverse("controls:control_mapping", kwargs={"code": "CTL-HR-03"})
    assert Control.objects.get(code="CTL-HR-03").status == "planned"
    assert AuditEvent.objects.get(action="controls.control_created").actor_id == str(manager.pk)


def test_a_bad_control_code_is_explained(framework, manager_client):
    client, _ = manager_client

    response = client.post(reverse("controls:control_create"), {"code": "training", "title": "T", "status": "planned"})

    assert response.status_code == 200
    assert "Use upper-case letters and digits in words joined by hyphens" in response.content.decode()


def test_a_manager_edits_a_control(framework, manager_client):
    client, _ = manager_client

    response = client.post(
        reverse("controls:control_edit", kwargs={"code": "CTL-ENC-01"}),
        {"title": "Personal data is encrypted at rest", "description": "All stores.", "owner": "", "status": "implemented"},
    )

    assert response.status_code == 302
    assert Control.objects.get(code="CTL-ENC-01").status == "implemented"
    assert AuditEvent.objects.get(action="controls.control_updated").data["status"] == ["not_implemented", "implemented"]


def test_the_mapping_editor_searches_adds_and_removes(framework, manager_client):
    client, _ = manager_client
    url = reverse("controls:control_mapping", kwargs={"code": "CTL-ENC-01"})

    searched = client.get(url, {"q": "demo notice"})
    assert [r.ref for r in searched.context["results"]] == ["Art. 2(1)"]

    added = client.post(url, {"requirements": [requirement("Art. 2(1)").pk]})
    assert added.status_code == 302
    assert AuditEvent.objects.get(action="controls.control_mapped").data["added"] == ["demo:Art. 2(1)"]

    removed = client.post(reverse("controls:control_unmap", kwargs={"code": "CTL-ENC-01"}), {"requirement": requirement("Art. 1(1)").pk})
    assert removed.status_code == 302
    assert list(Control.objects.get(code="CTL-ENC-01").requirements.values_list("ref", flat=True)) == ["Art. 2(1)"]
    assert AuditEvent.objects.filter(action="controls.control_unmapped").exists()


def test_an_auditor_cannot_change_a_control(framework, client_for):
    client, _ = client_for(Role.AUDITOR)

    response = client.post(reverse("controls:control_edit", kwargs={"code": "CTL-ENC-01"}), {"title": "x", "status": "implemented"})

    assert response.status_code == 403
    assert Control.objects.get(code="CTL-ENC-01").status == "not_implemented"


# --- Assessments ---------------------------------------------------------------------------------


def test_a_manager_starts_an_assessment(framework, manager_client):
    client, manager = manager_client

    response = client.post(
        reverse("controls:assessment_create"),
        {"framework": "demo", "title": "Demo 2026", "scope": "organisation", "period_start": "2026-01-01", "period_end": "2026-12-31", "owner": manager.username},
    )

    assessment = Assessment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("controls:assessment_detail", kwargs={"pk": assessment.pk})
    assert assessment.items.count() == 4
    assert AuditEvent.objects.get(action="controls.assessment_created").target_id == str(assessment.pk)


def test_a_dataset_scope_without_a_dataset_is_explained(framework, manager_client):
    client, manager = manager_client

    response = client.post(
        reverse("controls:assessment_create"),
        {"framework": "demo", "title": "D", "scope": "dataset", "period_start": "2026-01-01", "period_end": "2026-12-31", "owner": manager.username},
    )

    assert response.status_code == 200
    assert "Choose the dataset this assessment covers." in response.content.decode()


def test_the_assessment_page_shows_scores_formula_sections_and_flags(framework, manager):
    from tests.conftest import verified_client

    assessment = make_assessment(framework, manager)
    assessment.items.filter(requirement__ref="Art. 3").update(status="compliant")
    Control.objects.filter(code="CTL-ERA-01").update(automated_status="failing")
    client = verified_client(manager)

    response = client.get(reverse("controls:assessment_detail", kwargs={"pk": assessment.pk}))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Score = (compliant + 0.5 × partially compliant) ÷ (assessable requirements − not applicable)" in html
    assert "Chapter II Rights · 100%" in html and "Chapter I Principles · 0%" in html
    assert "Compliant without evidence" in html
    assert '<span class="badge badge-bad">Failing</span>' in html


def test_a_bulk_update_changes_the_selected_rows_and_keeps_the_filters(framework, manager_client):
    client, manager = manager_client
    assessment = make_assessment(framework, manager)
    ids = list(assessment.items.values_list("pk", flat=True))[:2]

    response = client.post(
        reverse("controls:assessment_bulk_update", kwargs={"pk": assessment.pk}),
        {"items": ids, "status": "in_progress", "justification": "", "filters": "status=not_started"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("controls:assessment_detail", kwargs={"pk": assessment.pk}) + "?status=not_started"
    assert assessment.items.filter(status="in_progress").count() == 2
    assert AuditEvent.objects.get(action="controls.requirements_bulk_assessed").data["count"] == 2


def test_a_bulk_not_applicable_without_justification_is_refused_on_the_page(framework, manager_client):
    client, manager = manager_client
    assessment = make_assessment(framework, manager)

    response = client.post(
        reverse("controls:assessment_bulk_update", kwargs={"pk": assessment.pk}),
        {"items": list(assessment.items.values_list("pk", flat=True))[:1], "status": "not_applicable"},
    )

    assert response.status_code == 400
    assert "Not applicable needs a justification" in response.content.decode()
    assert not assessment.items.filter(status="not_applicable").exists()


def test_editing_one_requirement_shows_its_history(framework, manager_client):
    client, manager = manager_client
    assessment = make_assessment(framework, manager)
    item = assessment.items.get(requirement__ref="Art. 1(1)")
    url = reverse("controls:item_detail", kwargs={"pk": assessment.pk, "item_pk": item.pk})

    saved = client.post(url, {"status": "non_compliant", "justification": "", "owner": "", "due_date": "2026-10-01", "notes": "Shop DB not encrypted"})
    page = client.get(url)

    assert saved.status_code == 302
    html = page.content.decode()
    assert "Not started" in html and "Non-compliant" in html and "2026-10-01" in html
    assert AuditEvent.objects.get(action="controls.requirement_assessed").data["status"] == ["not_started", "non_compliant"]


def test_an_auditor_reads_a_requirement_but_cannot_change_it(framework, manager, client_for):
    assessment = make_assessment(framework, manager)
    item = assessment.items.first()
    client, _ = client_for(Role.AUDITOR)
    url = reverse("controls:item_detail", kwargs={"pk": assessment.pk, "item_pk": item.pk})

    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "compliant"}).status_code == 403
    item.refresh_from_db()
    assert item.status == "not_started"


def test_a_row_of_another_assessment_is_not_found(framework, manager_client):
    client, manager = manager_client
    one, other = make_assessment(framework, manager), make_assessment(framework, manager, title="Other")

    response = client.get(reverse("controls:item_detail", kwargs={"pk": one.pk, "item_pk": other.items.first().pk}))

    assert response.status_code == 404


def test_the_assessment_list_makes_the_same_queries_for_10_and_1000_assessments(framework, manager, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)

    def grow(count):
        Assessment.objects.bulk_create(
            [Assessment(framework=framework, title=f"A{n}", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), owner=manager, created_by=manager) for n in range(count)]
        )

    response = assert_constant_queries(client, reverse("controls:assessment_list"), grow, django_assert_max_num_queries)
    assert len(response.context["rows"]) == 50


def test_the_assessment_page_makes_the_same_queries_for_10_and_1000_requirements(framework, manager, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)
    assessment = make_assessment(framework, manager)
    chapter = requirement("Chapter II")
    control = Control.objects.get(code="CTL-ERA-01")

    def grow(count):
        start = Requirement.objects.count()
        created = Requirement.objects.bulk_create(
            [
                Requirement(framework=framework, ref=f"X {start + n}", title=f"Extra {n}", parent=chapter, position=100 + start + n, depth=1, assessable=True, content_sha256="0" * 64)
                for n in range(count)
            ]
        )
        RequirementAssessment.objects.bulk_create([RequirementAssessment(assessment=assessment, requirement=r, owner=manager) for r in created])
        Control.requirements.through.objects.bulk_create([Control.requirements.through(control_id=control.pk, requirement_id=r.pk) for r in created])

    response = assert_constant_queries(client, reverse("controls:assessment_detail", kwargs={"pk": assessment.pk}), grow, django_assert_max_num_queries)
    assert response.context["page"].row_count == 1004


# --- Evidence ------------------------------------------------------------------------------------


def test_the_evidence_list_makes_the_same_queries_for_10_and_1000_files(framework, manager, client_for, django_assert_max_num_queries):
    client, _ = client_for(Role.AUDITOR)
    control = Control.objects.get(code="CTL-ENC-01")

    def grow(count):
        created = Evidence.objects.bulk_create(
            [
                Evidence(title=f"E{n}", original_name="e.pdf", stored_name=uuid.uuid4().hex, content_type="application/pdf", size=1, sha256="0" * 64,
                         effective_date=date(2020, 1, 1), expires_on=date(2020 + n % 10, 1, 1) if n % 2 else None, uploaded_by=manager)
                for n in range(count)
            ]
        )
        Evidence.controls.through.objects.bulk_create([Evidence.controls.through(evidence_id=e.pk, control_id=control.pk) for e in created])

    response = assert_constant_queries(client, reverse("controls:evidence_list"), grow, django_assert_max_num_queries)
    assert len(response.context["page"].object_list) == 50


def test_the_evidence_list_badges_expired_files(framework, manager, client_for):
    from tests.compliance.controls.conftest import upload

    upload(manager, controls=[Control.objects.get(code="CTL-ENC-01")], title="Old pentest", effective_date=date(2020, 1, 1), expires_on=date(2021, 1, 1))
    client, _ = client_for(Role.AUDITOR)

    response = client.get(reverse("controls:evidence_list"), {"expiry": "expired"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Old pentest" in html and "Expired 2021-01-01" in html


def test_the_navigation_offers_the_controls_pages_to_readers_only(client_for):
    auditor, _ = client_for(Role.AUDITOR)
    employee, _ = client_for(Role.EMPLOYEE)

    assert all(label in auditor.get(reverse("home"), follow=True).content.decode() for label in ("Frameworks", "Controls", "Assessments", "Evidence"))
    assert reverse("controls:framework_list") not in employee.get(reverse("home")).content.decode()
