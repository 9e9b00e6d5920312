"""Reads: the one-query consent check, subject search by blind index, coverage, datasets per purpose and per subject."""

from datetime import timedelta

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from compliance.accounts.roles import Role
from consent import selectors
from consent.models import ConsentEvent, ConsentState
from consent.services import lapse_expired_consents, record_consent, update_purpose
from datasets.services import add_storage_location, create_dataset, create_model, create_version, register_training_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(dpo, purpose):
    def build(subject, **overrides):
        values = dict(actor=dpo, subject=subject, purpose=purpose, status="granted", notice_version="v1", collection_method="web_form")
        return record_consent(**(values | overrides))

    return build


# --- check_consent ---------------------------------------------------------------------------


def test_the_check_is_exactly_one_query(django_assert_num_queries, grant, subject):
    event = grant(subject, expires_at=timezone.now() + timedelta(days=30))

    with django_assert_num_queries(1):
        check = selectors.check_consent(subject_external_id="user-1", purpose_code="marketing")

    assert check == selectors.ConsentCheck(
        subject="user-1",
        purpose="marketing",
        allowed=True,
        status="granted",
        occurred_at=event.occurred_at,
        expires_at=event.expires_at,
        notice_version="v1",
    )


@pytest.mark.parametrize(("external_id", "code"), [("nobody", "marketing"), ("user-1", "telepathy"), ("nobody", "telepathy")])
def test_unknown_subjects_and_purposes_are_not_allowed_with_status_none(django_assert_num_queries, grant, subject, external_id, code):
    grant(subject)

    with django_assert_num_queries(1):
        check = selectors.check_consent(subject_external_id=external_id, purpose_code=code)

    assert (check.allowed, check.status, check.notice_version, check.occurred_at) == (False, "none", None, None)


def test_a_withdrawn_consent_is_not_allowed(dpo, grant, subject, purpose):
    grant(subject, occurred_at=timezone.now() - timedelta(days=1))
    record_consent(actor=dpo, subject=subject, purpose=purpose, status="withdrawn", collection_method="app")

    check = selectors.check_consent(subject_external_id="user-1", purpose_code="marketing")

    assert (check.allowed, check.status, check.notice_version) == (False, "withdrawn", "v1")


def test_an_expired_grant_is_refused_before_the_lapse_task_runs(grant, subject):
    now = timezone.now()
    grant(subject, occurred_at=now - timedelta(days=2), expires_at=now + timedelta(hours=1))

    with time_machine.travel(now + timedelta(hours=2), tick=False):
        before_lapse = selectors.check_consent(subject_external_id="user-1", purpose_code="marketing")
        lapse_expired_consents()
        after_lapse = selectors.check_consent(subject_external_id="user-1", purpose_code="marketing")

    assert (before_lapse.allowed, before_lapse.status) == (False, "expired")
    assert (after_lapse.allowed, after_lapse.status) == (False, "expired")
    assert ConsentState.objects.get().status == "expired"


def test_an_inactive_purpose_is_not_allowed(dpo, grant, subject, purpose):
    grant(subject)
    update_purpose(actor=dpo, purpose=purpose, active=False)

    check = selectors.check_consent(subject_external_id="user-1", purpose_code="marketing")

    assert (check.allowed, check.status) == (False, "granted")


# --- Subjects -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("user-1", ["user-1"]),
        ("user-", ["user-2", "user-1"]),
        ("JANE.DOE@example.com", ["user-1"]),
        ("+44 20 7946 0000", ["user-1"]),
        ("+442079460000", ["user-1"]),
        ("jane", []),  # never a partial match on an identifier
        ("", ["user-2", "user-1"]),
    ],
)
def test_search_by_external_id_or_exact_identifier(dpo, subject, make_subject, query, found):
    make_subject("user-2", email="someone@example.org")

    results = selectors.search_subjects(user=dpo, query=query)

    assert [row.external_id for row in results] == found


def test_search_counts_current_grants(dpo, grant, subject):
    grant(subject)

    (row,) = selectors.subject_page(user=dpo).rows

    assert row.granted_count == 1


def test_search_shows_nothing_without_the_view_permission(make_user, subject):
    steward = make_user(Role.DATA_STEWARD)

    assert not selectors.search_subjects(user=steward).exists()
    with pytest.raises(Http404):
        selectors.subject_for_user(user=steward, external_id="user-1")


def test_states_list_every_active_purpose(dpo, grant, subject, purpose):
    from consent.services import create_purpose

    create_purpose(actor=dpo, code="analytics", name="Analytics", lawful_basis="legitimate_interests", consent_required=False)
    grant(subject)

    rows = selectors.consent_states_for_subject(subject=subject)

    assert [(row.purpose.code, row.status) for row in rows] == [("analytics", "none"), ("marketing", "granted")]


def test_datasets_that_may_hold_a_subject(dpo, make_user, subject, grant, settings, tmp_path):
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(tmp_path)]
    steward = make_user(Role.DATA_STEWARD)
    engineer = make_user(Role.ML_ENGINEER)
    shop = create_dataset(actor=dpo, name="Shop customers", owner=steward)
    version = create_version(actor=dpo, dataset=shop, label="v1", subject_keys=["user-1", "user-3"], false_positive_rate=1e-9)
    register_training_run(actor=engineer, model=create_model(actor=engineer, name="Churn"), dataset_versions=[version], started_at=timezone.now())
    routes = create_dataset(actor=dpo, name="Delivery routes")
    add_storage_location(
        actor=dpo, dataset=routes, name="routes", kind="filesystem", path=str(tmp_path / "r.jsonl"), subject_key="phone", subject_field="phone"
    )
    faces = create_dataset(actor=dpo, name="Face ID")
    add_storage_location(
        actor=dpo, dataset=faces, name="faces", kind="filesystem", path=str(tmp_path / "f.csv"), subject_key="phone", subject_field="phone"
    )
    create_dataset(actor=dpo, name="Unrelated")

    rows = selectors.datasets_holding_subject(user=dpo, subject=subject)
    seen_by_steward = selectors.datasets_holding_subject(user=steward, subject=subject)

    assert [(row.dataset.name, [v.label for v in row.versions], [loc.name for loc in row.locations]) for row in rows] == [
        ("Delivery routes", [], ["routes"]),
        ("Face ID", [], ["faces"]),
        ("Shop customers", ["v1"], []),
    ]
    assert [row.dataset.name for row in seen_by_steward] == ["Shop customers"]


# --- Purposes ----------------------------------------------------------------------------------


def test_coverage_counts_each_state_and_subjects_without_one(dpo, grant, make_subject, purpose):
    now = timezone.now()
    grant(make_subject("a"))
    grant(make_subject("b"), occurred_at=now - timedelta(days=3), expires_at=now - timedelta(days=1))
    withdrawn = make_subject("c")
    grant(withdrawn, occurred_at=now - timedelta(days=3))
    record_consent(actor=dpo, subject=withdrawn, purpose=purpose, status="withdrawn", collection_method="app")
    record_consent(actor=dpo, subject=make_subject("d"), purpose=purpose, status="refused", notice_version="v1", collection_method="app")
    make_subject("e")
    make_subject("f")

    (row,) = selectors.purposes_with_coverage(user=dpo)

    assert (row.granted, row.withdrawn, row.refused, row.expired, row.none) == (1, 1, 1, 1, 2)
    assert selectors.coverage_for_purpose(purpose=purpose) == row


def test_datasets_for_a_purpose_come_from_the_datasets_own_list(dpo, make_user, purpose):
    steward = make_user(Role.DATA_STEWARD)
    shop = create_dataset(actor=dpo, name="Shop", purposes=["marketing", "order-fulfilment"], owner=steward)
    create_dataset(actor=dpo, name="Leads", purposes=["marketing"])
    create_dataset(actor=dpo, name="Routes", purposes=["order-fulfilment"])

    assert [d.name for d in selectors.datasets_for_purpose(purpose_code="marketing")] == ["Leads", "Shop"]
    assert list(selectors.datasets_for_purpose(purpose_code="marketing", user=steward)) == [shop]


def test_a_purpose_is_found_by_code_for_readers_only(dpo, make_user, purpose):
    assert selectors.purpose_for_user(user=dpo, code="marketing") == purpose
    with pytest.raises(Http404):
        selectors.purpose_for_user(user=make_user(Role.EMPLOYEE), code="marketing")
    with pytest.raises(Http404):
        selectors.purpose_for_user(user=dpo, code="nothing")


def test_an_event_is_found_by_uuid_for_readers_only(dpo, auditor, make_user, grant, subject):
    event = grant(subject)

    assert selectors.event_for_user(user=auditor, pk=str(event.pk)) == event
    for user, pk in [(make_user(Role.ML_ENGINEER), event.pk), (dpo, "not-a-uuid"), (dpo, "00000000-0000-0000-0000-000000000000")]:
        with pytest.raises(Http404):
            selectors.event_for_user(user=user, pk=pk)


def test_notices_count_the_consents_naming_them(grant, subject, purpose):
    grant(subject)

    (notice,) = selectors.notices_for_purpose(purpose=purpose)

    assert (notice.version, notice.event_count) == ("v1", 1)
    assert ConsentEvent.objects.count() == 1


def test_callers_authorised_by_scope_read_subjects_and_purposes_without_model_permissions(subject, purpose, dpo):
    from consent.services import create_purpose

    create_purpose(actor=dpo, code="analytics", name="Analytics", lawful_basis="legitimate_interests", consent_required=False)

    assert selectors.subject_by_external_id(external_id="user-1") == subject
    assert selectors.purpose_by_code(code="marketing") == purpose
    assert [p.code for p in selectors.all_purposes()] == ["analytics", "marketing"]
    with pytest.raises(Http404):
        selectors.subject_by_external_id(external_id="nobody")
    with pytest.raises(Http404):
        selectors.purpose_by_code(code="nothing")
