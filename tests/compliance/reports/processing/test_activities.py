"""Building the record of processing from the registry: one activity per dataset and purpose, gaps flagged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.reports.processing.activities import (
    NOT_RECORDED_SUBJECTS,
    NOT_RECORDED_TRANSFERS,
    controller,
    may_read_record,
    record_of_processing,
)
from datasets.models import Dataset
from datasets.services import create_dataset

pytestmark = pytest.mark.django_db


def by_reference(record):
    return {activity.reference: activity for activity in record.activities}


def test_a_complete_dataset_gives_one_activity_per_purpose_with_every_entry(organisation, dpo):
    activities = by_reference(record_of_processing(user=dpo))
    shop = activities["shop/marketing"]
    assert shop.purpose_name == "Marketing emails"
    assert shop.lawful_basis == "Consent (Art. 6(1)(a))"
    assert shop.categories_of_personal_data == "Contact details"
    assert shop.subjects_jurisdictions == "GB"
    assert shop.retention == "365 days, then delete"
    assert shop.encryption == "At rest: AES-256; in transit: yes; 0 of 1 stores encrypted at rest"
    assert shop.anonymisation == "None"
    assert shop.storage == "1 location(s): PostgreSQL"
    assert shop.access_control.endswith("every read of identifiers audited. Missing: owner")
    # What the registry cannot hold yet is flagged on every activity, never left blank.
    assert shop.categories_of_data_subjects == NOT_RECORDED_SUBJECTS
    assert shop.third_country_transfers == NOT_RECORDED_TRANSFERS
    assert shop.recipients == "Missing: recipients"


def test_missing_entries_are_flagged_not_left_blank(organisation, dpo):
    clicks = by_reference(record_of_processing(user=dpo))["clicks/-"]
    assert clicks.purpose_name == "Missing: purpose"
    assert clicks.lawful_basis == "Missing: lawful basis"
    assert clicks.retention == "Missing: retention period"
    assert clicks.encryption == "Missing: encryption at rest; Missing: encryption in transit"
    assert clicks.subjects_jurisdictions == "Missing: subjects' jurisdictions"
    assert clicks.storage == "No storage location registered"
    assert {"purpose", "lawful basis", "retention period", "encryption at rest", "recipients"} <= set(clicks.missing)
    for value in clicks.as_row(controller()).values():
        assert value not in ("", None, [])


def test_a_purpose_code_that_is_not_registered_is_flagged(dpo):
    create_dataset(actor=dpo, name="Old", slug="old", purposes=["newsletter"], lawful_bases=["legitimate_interests"])
    [activity] = record_of_processing(user=dpo).activities
    assert activity.purpose_name == "Missing: purpose 'newsletter' is not registered"
    assert activity.lawful_basis == "Legitimate interests (Art. 6(1)(f))"


def test_the_controller_and_dpo_come_from_the_settings_and_unset_ones_are_flagged(settings):
    settings.CUSTOS_CONTROLLER_NAME = "Example Shop Ltd"
    settings.CUSTOS_CONTROLLER_CONTACT = "privacy@shop.example"
    settings.CUSTOS_CONTROLLER_ADDRESS = ""
    settings.CUSTOS_DPO_CONTACT = "dpo@shop.example"
    found = controller()
    assert (found.name, found.contact, found.dpo_contact) == ("Example Shop Ltd", "privacy@shop.example", "dpo@shop.example")
    assert found.address == "Missing: controller address (CUSTOS_CONTROLLER_ADDRESS)"


def test_only_readers_of_every_dataset_may_read_the_record(make_user):
    from compliance.accounts.roles import Role

    assert [may_read_record(make_user(role)) for role in Role] == [True, True, True, False, False, False]


@pytest.mark.parametrize("extra", [10, 1000])
def test_the_record_is_built_in_a_fixed_number_of_queries(dpo, extra):
    Dataset.objects.bulk_create(
        [Dataset(name=f"D{number}", slug=f"d-{number}", purposes=["a", "b"]) for number in range(extra)], batch_size=500
    )
    record_of_processing(user=dpo)  # warm the permission cache
    with CaptureQueriesContext(connection) as captured:
        record = record_of_processing(user=dpo)
    assert len(record.activities) == 2 * extra
    assert len(captured) <= 5


def test_an_owned_dataset_names_its_owner_and_shared_copies_name_the_organisation_only(organisation, dpo, make_user, settings):
    from datetime import timedelta
    from pathlib import Path

    from django.utils import timezone

    from compliance.accounts.roles import Role
    from datasets.services import add_storage_location, create_share_link, create_version, update_dataset

    steward = make_user(Role.DATA_STEWARD, username="steward")
    update_dataset(actor=dpo, dataset=organisation.dataset, changes={"owner": steward})
    store = Path(settings.CONNECTOR_FILESYSTEM_ROOTS[0])
    store.mkdir(parents=True, exist_ok=True)
    (store / "customers.csv").write_text("external_id,email\nuser-1,a@example.org\n")
    files = add_storage_location(
        actor=dpo, dataset=organisation.dataset, name="export", kind="filesystem", path=str(store / "customers.csv"),
        format="csv", subject_key="external_id", subject_field="external_id",
    )
    version = create_version(actor=dpo, dataset=organisation.dataset, label="v1")
    create_share_link(
        actor=dpo, version=version, recipient_name="Rita Recipient", recipient_organisation="Acme Analytics",
        purpose="Model evaluation", expires_at=timezone.now() + timedelta(days=7), location=files,
    )
    shop = by_reference(record_of_processing(user=dpo))["shop/marketing"]
    assert shop.access_control.endswith("Owner: steward")
    assert shop.recipients == "Acme Analytics"
    assert "owner" not in shop.missing and "recipients" not in shop.missing
    assert "Rita" not in str(shop.as_row(controller()))


def test_only_gaps_the_registry_can_fill_count_as_missing_entries(organisation, dpo):
    record = record_of_processing(user=dpo)
    activities = by_reference(record)
    # The shop lacks an owner and recipients; nothing the registry cannot hold counts.
    assert activities["shop/marketing"].registry_gaps == ["recipients", "owner"]
    assert "categories of data subjects" in activities["shop/marketing"].missing
    assert record.missing_count == 2
