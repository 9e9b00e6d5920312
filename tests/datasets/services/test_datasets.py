"""Creating, editing and archiving datasets, and granting stewards access."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from guardian.shortcuts import get_perms

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.models import Dataset
from datasets.services import (
    RegistryActionRefused,
    archive_dataset,
    create_dataset,
    grant_dataset_access,
    restore_dataset,
    revoke_dataset_access,
    update_dataset,
)

pytestmark = pytest.mark.django_db


def last_event(action):
    return AuditEvent.objects.filter(action=action).order_by("-sequence").first()


def errors_of(excinfo):
    return excinfo.value.message_dict


def test_only_a_name_is_needed_and_the_slug_is_derived_from_it(dpo):
    dataset = create_dataset(actor=dpo, name="Shop Customers (EU)")

    assert dataset.slug == "shop-customers-eu"
    assert dataset.owner is None
    assert dataset.sensitivity == "internal"
    assert dataset.data_categories == [] and dataset.lawful_bases == [] and dataset.regulations == []
    event = last_event("dataset.created")
    assert event.target_id == str(dataset.pk)
    assert event.data["slug"] == "shop-customers-eu"


def test_a_taken_slug_gets_a_number_and_a_given_taken_slug_is_refused(dpo):
    create_dataset(actor=dpo, name="Orders")
    assert create_dataset(actor=dpo, name="Orders").slug == "orders-2"
    assert create_dataset(actor=dpo, name="Orders").slug == "orders-3"

    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="Other orders", slug="orders")
    assert errors_of(excinfo) == {"slug": ["A dataset with the slug 'orders' already exists."]}


def test_a_steward_creating_a_dataset_owns_it_and_gets_object_permissions(steward):
    dataset = create_dataset(actor=steward, name="Leads")

    assert dataset.owner == steward
    assert set(get_perms(steward, dataset)) == {"view_dataset", "change_dataset"}


def test_codes_are_validated_deduplicated_and_kept_in_their_usual_order(dpo):
    dataset = create_dataset(
        actor=dpo,
        name="Clinic",
        data_categories=["health", "contact", "health"],
        lawful_bases=["legitimate_interests", "consent"],
        purposes=["care", "model-training", "care"],
    )
    assert dataset.data_categories == ["contact", "health"]
    assert dataset.lawful_bases == ["consent", "legitimate_interests"]
    assert dataset.purposes == ["care", "model-training"]

    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="Bad", data_categories=["health", "dna"], sensitivity="secret", lawful_bases="consent")
    assert errors_of(excinfo) == {
        "data_categories": [
            "Unknown data categories: dna. Use codes from: contact, identifiers, health, financial, biometric,"
            " location, behavioural, children, special_category."
        ],
        "sensitivity": ["Unknown sensitivity 'secret'. Use one of: public, internal, confidential, restricted."],
        "lawful_bases": ["Give the lawful bases as a list of codes."],
    }


def test_regulations_are_derived_from_categories_and_jurisdictions_unless_overridden(dpo):
    derived = create_dataset(
        actor=dpo, name="Clinic", data_categories=["health"], subject_jurisdictions=["us-ca", "DE", "US"]
    )
    assert derived.regulations == ["gdpr", "hipaa", "ccpa"]
    assert derived.subject_jurisdictions == ["DE", "US", "US-CA"]
    assert derived.regulations_override is False

    chosen = create_dataset(actor=dpo, name="Chosen", subject_jurisdictions=["DE"], regulations=["ccpa"])
    assert chosen.regulations == ["ccpa"] and chosen.regulations_override is True

    updated = update_dataset(actor=dpo, dataset=chosen, changes={"regulations_override": False})
    assert updated.regulations == ["gdpr"]


def test_anonymisation_parameters_must_fit_the_technique(dpo):
    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="A", anonymisation_technique="k_anonymity")
    assert errors_of(excinfo) == {"anonymisation_k": ["k-anonymity needs k, the smallest group size (2 or more)."]}

    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="B", anonymisation_technique="differential_privacy", anonymisation_delta=1.5)
    assert errors_of(excinfo) == {
        "anonymisation_epsilon": ["Differential privacy needs its ε (a number above 0)."],
        "anonymisation_delta": ["The δ must be below 1."],
    }

    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="C", anonymisation_k=5)
    assert errors_of(excinfo) == {"anonymisation_k": ["k applies only to k-anonymity."]}

    dp = create_dataset(actor=dpo, name="D", anonymisation_technique="differential_privacy", anonymisation_epsilon=1)
    assert (dp.anonymisation_epsilon, dp.anonymisation_delta) == (1.0, 0.0)


def test_retention_and_budget_figures_are_checked(dpo):
    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="A", retention_days=0, privacy_budget_epsilon=-1, retention_action="shred")
    assert errors_of(excinfo) == {
        "retention_days": ["The retention period in days must be at least 1."],
        "retention_action": ["Unknown retention action 'shred'. Use one of: delete, anonymise, review."],
        "privacy_budget_epsilon": ["The privacy budget ε must be above 0."],
    }


def test_the_owner_must_be_a_data_steward(dpo, engineer):
    with pytest.raises(ValidationError) as excinfo:
        create_dataset(actor=dpo, name="A", owner=engineer)
    assert errors_of(excinfo) == {"owner": ["The owner must be a data steward; engineer is not."]}


def test_roles_without_the_add_permission_cannot_register_datasets(make_user):
    auditor = make_user(Role.AUDITOR)
    with pytest.raises(PermissionDenied, match="You may not register datasets."):
        create_dataset(actor=auditor, name="A")


def test_update_records_only_what_changed(dataset, steward):
    update_dataset(actor=steward, dataset=dataset, changes={"sensitivity": "restricted", "name": "Shop customers", "description": "New text"})

    event = last_event("dataset.updated")
    assert event.data["changes"] == {
        "sensitivity": {"from": "internal", "to": "restricted"},
        "description": {"changed": True},
    }
    dataset.refresh_from_db()
    assert dataset.sensitivity == "restricted"


def test_an_update_that_changes_nothing_records_nothing(dataset, steward):
    before = AuditEvent.objects.count()
    update_dataset(actor=steward, dataset=dataset, changes={"sensitivity": dataset.sensitivity})
    assert AuditEvent.objects.count() == before


def test_the_slug_cannot_be_edited(dataset, steward):
    with pytest.raises(ValueError, match="These dataset fields cannot be edited: slug."):
        update_dataset(actor=steward, dataset=dataset, changes={"slug": "new"})


def test_a_steward_cannot_edit_a_dataset_not_granted_to_them(dataset, other_steward):
    with pytest.raises(PermissionDenied, match="You may not edit dataset 'shop-customers'."):
        update_dataset(actor=other_steward, dataset=dataset, changes={"sensitivity": "public"})


def test_changing_the_owner_moves_the_object_permissions(dataset, steward, other_steward, dpo):
    update_dataset(actor=dpo, dataset=dataset, changes={"owner": other_steward})

    assert get_perms(steward, dataset) == []
    assert set(get_perms(other_steward, dataset)) == {"view_dataset", "change_dataset"}
    assert last_event("dataset.updated").data["changes"]["owner"] == {"from": steward.pk, "to": other_steward.pk}


def test_archive_and_restore_refuse_the_state_they_are_in(dataset, steward):
    archive_dataset(actor=steward, dataset=dataset, reason="replaced by v2 pipeline")
    dataset.refresh_from_db()
    assert dataset.is_archived
    assert last_event("dataset.archived").data == {"slug": "shop-customers", "reason": "replaced by v2 pipeline"}

    with pytest.raises(RegistryActionRefused, match="Dataset 'shop-customers' is already archived."):
        archive_dataset(actor=steward, dataset=dataset)

    restore_dataset(actor=steward, dataset=dataset)
    with pytest.raises(RegistryActionRefused, match="Dataset 'shop-customers' is not archived."):
        restore_dataset(actor=steward, dataset=dataset)


def test_the_owner_grants_and_revokes_another_stewards_access(dataset, steward, other_steward):
    assert grant_dataset_access(actor=steward, dataset=dataset, user=other_steward, level="view") is True
    assert get_perms(other_steward, dataset) == ["view_dataset"]
    assert grant_dataset_access(actor=steward, dataset=dataset, user=other_steward, level="view") is False

    grant_dataset_access(actor=steward, dataset=dataset, user=other_steward)
    assert set(get_perms(other_steward, dataset)) == {"view_dataset", "change_dataset"}
    assert last_event("dataset.access_granted").data == {"slug": "shop-customers", "user": other_steward.pk, "level": "change"}

    assert revoke_dataset_access(actor=steward, dataset=dataset, user=other_steward) is True
    assert get_perms(other_steward, dataset) == []
    assert revoke_dataset_access(actor=steward, dataset=dataset, user=other_steward) is False


def test_access_refusals(dataset, steward, other_steward, engineer):
    with pytest.raises(ValidationError, match="Datasets are granted to data stewards; engineer is not one."):
        grant_dataset_access(actor=steward, dataset=dataset, user=engineer)
    with pytest.raises(PermissionDenied, match="You may not grant access to dataset 'shop-customers'."):
        grant_dataset_access(actor=other_steward, dataset=dataset, user=other_steward)
    with pytest.raises(RegistryActionRefused, match="steward owns dataset 'shop-customers': choose another owner"):
        revoke_dataset_access(actor=steward, dataset=dataset, user=steward)


def test_a_dataset_row_cannot_break_its_constraints_even_past_the_services(dataset):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Dataset.objects.filter(pk=dataset.pk).update(anonymisation_technique="k_anonymity")
