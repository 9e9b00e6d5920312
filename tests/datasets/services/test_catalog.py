"""sync_catalog: create and update datasets from catalog rows, all or nothing; record_catalog_export."""

import pytest
from django.core.exceptions import PermissionDenied

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.catalog_sync import read_catalog
from datasets.models import Dataset
from datasets.services import record_catalog_export, sync_catalog

pytestmark = pytest.mark.django_db


def rows_of(text: str):
    return read_catalog(text, format="csv")


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def test_new_rows_create_and_known_slugs_update_only_the_columns_given(dpo, steward, dataset):
    before = actions()
    report = sync_catalog(
        actor=dpo,
        rows=rows_of(
            "slug,name,owner,retention_days,data_categories,lawful_bases\n"
            "shop-customers,Shop customers,steward,90,contact,contract\n"
            ",Newsletter,,,contact;behavioural,consent\n"
        ),
    )

    assert report.applied and not report.errors
    assert [(o.line, o.slug, o.action) for o in report.outcomes] == [(2, "shop-customers", "updated"), (3, "newsletter", "created")]
    dataset.refresh_from_db()
    # Jurisdictions were not in the file, so they stay (and GDPR with them).
    assert (dataset.retention_days, dataset.lawful_bases, dataset.subject_jurisdictions, dataset.regulations) == (90, ["contract"], ["GB"], ["gdpr"])
    newsletter = Dataset.objects.get(slug="newsletter")
    assert (newsletter.owner, newsletter.data_categories) == (None, ["contact", "behavioural"])
    assert actions()[len(before):] == ["dataset.updated", "dataset.created", "datasets.imported"]
    assert AuditEvent.objects.get(action="datasets.imported").data == {"created": ["newsletter"], "updated": ["shop-customers"], "unchanged": 0}


def test_a_row_that_changes_nothing_is_unchanged_and_records_nothing(dpo, dataset):
    report = sync_catalog(actor=dpo, rows=rows_of("slug,name\nshop-customers,Shop customers\n"))
    assert [o.action for o in report.outcomes] == ["unchanged"]
    assert not AuditEvent.objects.filter(action="dataset.updated").exists()


def test_one_bad_row_changes_nothing_and_every_bad_row_is_reported(dpo, dataset, engineer):
    count, events = Dataset.objects.count(), AuditEvent.objects.count()
    report = sync_catalog(
        actor=dpo,
        rows=rows_of(
            "slug,name,owner,anonymisation_technique,k,retention_days,sensitivity\n"
            ",Good one,,,,,\n"
            "shop-customers,Shop customers,nobody,,,,\n"
            ",Anonymous,,k_anonymity,,,\n"
            ",Engineer's,engineer,,,x,secret\n"
        ),
    )

    assert not report.applied
    assert [(error.line, error.messages) for error in report.errors] == [
        (3, {"owner": ["No account is named 'nobody'."]}),
        (4, {"k": ["k-anonymity needs k, the smallest group size (2 or more)."]}),
        (5, {"retention_days": ["Write a whole number, not 'x'."]}),
    ]
    assert Dataset.objects.count() == count and AuditEvent.objects.count() == events
    dataset.refresh_from_db()
    assert dataset.name == "Shop customers"


def test_service_messages_are_keyed_by_the_files_column_names(dpo, engineer):
    report = sync_catalog(actor=dpo, rows=rows_of("name,owner,sensitivity,epsilon\nX,engineer,secret,1\n"))
    assert report.errors[0].messages == {
        "owner": [f"The owner must be a data steward; {engineer} is not."],
        "sensitivity": ["Unknown sensitivity 'secret'. Use one of: public, internal, confidential, restricted."],
        "epsilon": ["ε and δ apply only to differential privacy."],
    }


def test_a_check_reports_without_changing_anything(dpo, dataset):
    report = sync_catalog(actor=dpo, rows=rows_of("slug,name\nshop-customers,Renamed\n,New\n"), apply=False)
    assert not report.applied and not report.errors
    assert [o.action for o in report.outcomes] == ["updated", "created"]
    assert list(Dataset.objects.values_list("name", flat=True)) == ["Shop customers"]
    assert not AuditEvent.objects.filter(action__in=["dataset.updated", "datasets.imported"]).exists()


def test_a_slug_may_appear_once(dpo):
    report = sync_catalog(actor=dpo, rows=rows_of("slug,name\nshop,Shop\nshop,Shop again\n"))
    assert report.errors[0].line == 3
    assert report.errors[0].messages == {"slug": ["The slug 'shop' is already on line 2; each dataset appears once."]}
    assert not Dataset.objects.exists()


def test_regulations_are_set_by_hand_only_when_the_file_says_so(dpo):
    sync_catalog(
        actor=dpo,
        rows=rows_of(
            "name,subject_jurisdictions,regulations,regulations_override\n"
            "Derived,GB,ccpa,false\n"
            "Overridden,GB,ccpa,true\n"
        ),
    )
    sync_catalog(actor=dpo, rows=rows_of("name,subject_jurisdictions,regulations\nListed,GB,hipaa\nBlank,GB,\n"))
    found = {d.name: (d.regulations, d.regulations_override) for d in Dataset.objects.all()}
    assert found == {
        "Derived": (["gdpr"], False),
        "Overridden": (["ccpa"], True),
        "Listed": (["hipaa"], True),
        "Blank": (["gdpr"], False),
    }


def test_a_steward_updates_only_datasets_it_may_edit(steward, other_steward, dataset):
    report = sync_catalog(actor=other_steward, rows=rows_of("slug,name\nshop-customers,Taken over\n,Mine\n"))
    assert report.errors[0].messages == {"row": ["You may not edit dataset 'shop-customers'."]}
    assert not Dataset.objects.filter(name="Mine").exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPLIANCE_MANAGER, Role.ML_ENGINEER])
def test_roles_that_cannot_register_cannot_import(role, make_user):
    with pytest.raises(PermissionDenied, match="You may not import datasets."):
        sync_catalog(actor=make_user(role), rows=rows_of("name\nX\n"))


def test_an_export_is_an_audit_event(dpo):
    record_catalog_export(actor=dpo, filters={"category": "health", "q": ""}, count=3)
    event = AuditEvent.objects.get(action="datasets.exported")
    assert (event.actor_id, event.data) == (str(dpo.pk), {"format": "csv", "count": 3, "filters": {"category": "health"}})
