"""Creating, editing, the overview tab, archiving and restoring, and access grants."""

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from datasets.models import Dataset
from datasets.services import grant_dataset_access, record_budget_override, register_training_run

pytestmark = pytest.mark.django_db

CREATE = reverse("datasets:create")


def url(name: str, dataset) -> str:
    return reverse(f"datasets:{name}", kwargs={"slug": dataset.slug})


def form_data(**overrides) -> dict:
    data = {
        "name": "Shop customers",
        "slug": "",
        "sensitivity": "internal",
        "retention_action": "review",
        "anonymisation_technique": "none",
    }
    return {**data, **overrides}


def edit_data(dataset, **overrides) -> dict:
    """What the edit form posts back unchanged, with ``overrides``."""
    data = {
        "name": dataset.name,
        "description": dataset.description,
        "owner": dataset.owner_id or "",
        "data_categories": dataset.data_categories,
        "sensitivity": dataset.sensitivity,
        "subject_jurisdictions": ", ".join(dataset.subject_jurisdictions),
        "regulations": dataset.regulations,
        "lawful_bases": dataset.lawful_bases,
        "purposes": ", ".join(dataset.purposes),
        "retention_days": dataset.retention_days or "",
        "retention_action": dataset.retention_action,
        "source": dataset.source,
        "collection_channel": dataset.collection_channel,
        "encryption_at_rest": dataset.encryption_at_rest,
        "anonymisation_technique": dataset.anonymisation_technique,
    }
    if dataset.regulations_override:
        data["regulations_override"] = "on"
    if dataset.encryption_in_transit:
        data["encryption_in_transit"] = "on"
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


# --- Creating --------------------------------------------------------------------------


def test_a_steward_registers_a_dataset_and_owns_it(client_of, steward, last_event):
    response = client_of(steward).post(
        CREATE,
        form_data(
            data_categories=["health", "contact"],
            subject_jurisdictions="gb, us",
            lawful_bases=["consent"],
            purposes="care, model-training",
            retention_days="365",
        ),
        follow=True,
    )

    dataset = Dataset.objects.get()
    assert response.redirect_chain == [(url("detail", dataset), 302)]
    assert "Dataset Shop customers registered." in response.content.decode()
    assert (dataset.slug, dataset.owner, dataset.retention_days) == ("shop-customers", steward, 365)
    assert dataset.data_categories == ["contact", "health"] and dataset.subject_jurisdictions == ["GB", "US"]
    assert dataset.regulations == ["gdpr", "hipaa"] and not dataset.regulations_override
    assert dataset.purposes == ["care", "model-training"]
    event = last_event("dataset.created")
    assert (event.actor_id, event.target_id, event.data["slug"]) == (str(steward.pk), str(dataset.pk), "shop-customers")


def test_regulations_set_by_hand_are_kept(client_for):
    client, _ = client_for(Role.DPO)
    client.post(CREATE, form_data(regulations_override="on", regulations=["ccpa"], subject_jurisdictions="GB"))
    dataset = Dataset.objects.get()
    assert (dataset.regulations, dataset.regulations_override) == (["ccpa"], True)


def test_the_services_messages_appear_on_their_fields(client_for, make_dataset):
    make_dataset("Shop customers")
    client, _ = client_for(Role.DPO)

    response = client.post(
        CREATE,
        form_data(
            slug="shop-customers",
            subject_jurisdictions="Britain",
            anonymisation_technique="k_anonymity",
            purposes="Marketing!",
        ),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["slug"] == ["A dataset with the slug 'shop-customers' already exists."]
    assert errors["anonymisation_k"] == ["k-anonymity needs k, the smallest group size (2 or more)."]
    assert errors["subject_jurisdictions"] == [
        "Not a jurisdiction code: BRITAIN. Use ISO country codes (GB, DE, US) or US-CA for a US state."
    ]
    assert errors["purposes"][0].startswith("Not a purpose code: Marketing!.")
    assert Dataset.objects.count() == 1


def test_typed_fields_say_what_they_need(client_for):
    client, _ = client_for(Role.DPO)
    response = client.post(CREATE, form_data(retention_days="a year", privacy_budget_epsilon="lots", name=""))
    errors = response.context["form"].errors
    assert errors["retention_days"] == ["Enter the retention period as a whole number of days."]
    assert errors["privacy_budget_epsilon"] == ["Enter the budget as a number, for example 10."]
    assert not Dataset.objects.exists()


def test_an_empty_name_is_refused_with_the_services_message(client_for):
    client, _ = client_for(Role.DPO)
    response = client.post(CREATE, form_data(name="  "))
    assert response.context["form"].errors["name"] == ["Give the dataset's name."]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPLIANCE_MANAGER])
def test_readers_cannot_register_datasets(role, client_for, last_event):
    client, _ = client_for(role)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, form_data()).status_code == 403
    assert not Dataset.objects.exists()
    assert last_event("auth.permission_denied").data["path"] == CREATE


# --- Editing ----------------------------------------------------------------------------


def test_the_owner_edits_the_dataset_and_the_change_is_audited(client_of, dataset, steward, last_event):
    client = client_of(steward)
    form = client.get(url("edit", dataset)).context["form"]
    assert form["name"].value() == "Shop customers" and form["subject_jurisdictions"].value() == "GB"
    assert "slug" not in form.fields

    response = client.post(url("edit", dataset), edit_data(dataset, retention_days="90", lawful_bases=["contract"]), follow=True)

    assert "Dataset Shop customers saved." in response.content.decode()
    dataset.refresh_from_db()
    assert (dataset.retention_days, dataset.lawful_bases) == (90, ["contract"])
    changes = last_event("dataset.updated").data["changes"]
    assert changes["retention_days"] == {"from": None, "to": 90}
    assert set(changes) == {"retention_days", "lawful_bases"}


def test_saving_without_changes_says_so_and_records_nothing(client_of, dataset, steward, last_event):
    response = client_of(steward).post(url("edit", dataset), edit_data(dataset), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert last_event("dataset.updated") is None


def test_edit_errors_show_on_the_form_and_change_nothing(client_of, dataset, steward):
    response = client_of(steward).post(url("edit", dataset), edit_data(dataset, anonymisation_technique="differential_privacy"))
    assert response.context["form"].errors["anonymisation_epsilon"] == ["Differential privacy needs its ε (a number above 0)."]
    dataset.refresh_from_db()
    assert dataset.anonymisation_technique == "none"


def test_who_may_edit(client_of, client_for, dataset, steward, other_steward, make_user):
    viewer = make_user(Role.DATA_STEWARD)
    editor = make_user(Role.DATA_STEWARD)
    grant_dataset_access(actor=steward, dataset=dataset, user=viewer, level="view")
    grant_dataset_access(actor=steward, dataset=dataset, user=editor, level="change")

    assert client_of(editor).get(url("edit", dataset)).status_code == 200
    assert client_of(viewer).get(url("edit", dataset)).status_code == 403
    assert client_of(other_steward).get(url("edit", dataset)).status_code == 404
    assert client_for(Role.AUDITOR)[0].post(url("edit", dataset), edit_data(dataset, name="Hacked")).status_code == 403
    dataset.refresh_from_db()
    assert dataset.name == "Shop customers"


# --- The overview tab ---------------------------------------------------------------------


def test_the_overview_groups_every_attribute(client_for, make_dataset, make_version, steward, dpo, model, engineer):
    dataset = make_dataset(
        "Clinic visits",
        owner=steward,
        description="Visits to the clinic.",
        data_categories=["health"],
        sensitivity="restricted",
        subject_jurisdictions=["US"],
        regulations=["hipaa", "ccpa"],
        lawful_bases=["vital_interests"],
        purposes=["care"],
        retention_days=3650,
        retention_action="anonymise",
        source="Clinic system",
        collection_channel="Front desk",
        encryption_at_rest="AES-256",
        encryption_in_transit=True,
        anonymisation_technique="differential_privacy",
        anonymisation_epsilon=1.5,
        anonymisation_delta=0.00001,
        privacy_budget_epsilon=10,
    )
    version = make_version(dataset, "v1")
    for epsilon in (0.1, 0.2):
        register_training_run(
            actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now(), privacy_technique="dp_sgd", epsilon=epsilon, delta=1e-5
        )
    record_budget_override(actor=dpo, dataset=dataset, model=model, epsilon_over=2, reason="One retraining for a recall.")

    response = client_for(Role.AUDITOR)[0].get(url("detail", dataset))
    page = response.content.decode()

    assert response.status_code == 200
    for text in (
        "Classification", "Health / PHI", "Restricted", "HIPAA, CCPA", "set by hand",
        "Lawfulness", "Vital interests (Art. 6(1)(d))", "<code>care</code>",
        "Retention", "3650 days", "Anonymise",
        "Protection", "AES-256", "Differential privacy, ε = 1.5, δ = 1e-05",
        "Source", "Clinic system", "Front desk", "Visits to the clinic.",
        "Privacy budget", "0.3 by 2 DP training runs", "9.7", "DPO overrides",
    ):
        assert text in page, text
    assert response.context["ledger"].budget == 10 and len(response.context["ledger"].overrides) == 1
    # An auditor changes nothing, so no button to.
    assert url("edit", dataset) not in page and url("archive", dataset) not in page
    assert url("access_grant", dataset) not in page


def test_derived_regulations_say_so(client_for, dataset):
    page = client_for(Role.DPO)[0].get(url("detail", dataset)).content.decode()
    assert "GDPR <span class=\"muted\">(derived from the categories and jurisdictions)</span>" in page


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.ML_ENGINEER])
def test_employees_and_engineers_get_not_found(role, client_for, dataset):
    client, _ = client_for(role)
    assert client.get(url("detail", dataset)).status_code == 404


def test_a_missing_dataset_and_a_forbidden_one_look_the_same(client_of, dataset, other_steward):
    client = client_of(other_steward)
    forbidden = client.get(url("detail", dataset))
    missing = client.get(reverse("datasets:detail", kwargs={"slug": "no-such-dataset"}))
    assert forbidden.status_code == missing.status_code == 404
    assert "Shop customers" not in forbidden.content.decode()


def test_the_owner_sees_edit_archive_and_the_access_form(client_of, dataset, steward):
    response = client_of(steward).get(url("detail", dataset))
    page = response.content.decode()
    assert url("edit", dataset) in page and url("archive", dataset) in page and url("access_grant", dataset) in page
    assert [(grant.user, grant.level) for grant in response.context["grants"]] == [(steward, "change")]


def test_a_steward_granted_edit_may_edit_but_not_grant(client_of, dataset, steward, other_steward):
    grant_dataset_access(actor=steward, dataset=dataset, user=other_steward, level="change")
    page = client_of(other_steward).get(url("detail", dataset)).content.decode()
    assert url("edit", dataset) in page and url("access_grant", dataset) not in page


# --- Archiving ------------------------------------------------------------------------------


def test_archive_and_restore(client_of, dataset, steward, last_event):
    client = client_of(steward)

    response = client.post(url("archive", dataset), {"reason": "Shop closed"}, follow=True)
    page = response.content.decode()
    assert "Dataset Shop customers archived: it stays in the registry, closed to new locations, versions and share links." in page
    assert "This dataset is archived" in page and url("restore", dataset) in page
    assert last_event("dataset.archived").data == {"slug": "shop-customers", "reason": "Shop closed"}

    again = client.post(url("archive", dataset), follow=True)
    assert "Dataset &#x27;shop-customers&#x27; is already archived." in again.content.decode()

    restored = client.post(url("restore", dataset), follow=True)
    assert "Dataset Shop customers is active again." in restored.content.decode()
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.ACTIVE


def test_archive_is_post_only_and_refused_to_readers(client_of, client_for, dataset, steward):
    assert client_of(steward).get(url("archive", dataset)).status_code == 405
    assert client_for(Role.AUDITOR)[0].post(url("archive", dataset)).status_code == 403
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.ACTIVE


def test_an_overlong_reason_is_refused_with_a_message(client_of, dataset, steward):
    response = client_of(steward).post(url("archive", dataset), {"reason": "x" * 2001}, follow=True)
    assert "Keep the reason under 2,000 characters." in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.ACTIVE


# --- Access -----------------------------------------------------------------------------------


def test_the_owner_grants_and_revokes_a_steward(client_of, dataset, steward, other_steward, last_event):
    client = client_of(steward)

    granted = client.post(url("access_grant", dataset), {"user": other_steward.pk, "level": "view"}, follow=True)
    assert granted.redirect_chain[-1][0] == url("detail", dataset) + "#access"
    assert "other-steward may now see this dataset." in granted.content.decode()
    assert last_event("dataset.access_granted").data == {"slug": "shop-customers", "user": other_steward.pk, "level": "view"}
    assert client_of(other_steward).get(url("detail", dataset)).status_code == 200

    again = client.post(url("access_grant", dataset), {"user": other_steward.pk, "level": "view"}, follow=True)
    assert "other-steward could already see this dataset." in again.content.decode()

    revoked = client.post(url("access_revoke", dataset), {"user": other_steward.pk}, follow=True)
    assert "other-steward no longer has access to this dataset." in revoked.content.decode()
    assert last_event("dataset.access_revoked").data == {"slug": "shop-customers", "user": other_steward.pk}
    assert client_of(other_steward).get(url("detail", dataset)).status_code == 404


def test_access_refusals_are_explained(client_for, dataset, steward, engineer):
    client, _ = client_for(Role.DPO)

    owner = client.post(url("access_revoke", dataset), {"user": steward.pk}, follow=True).content.decode()
    assert "steward owns dataset &#x27;shop-customers&#x27;: choose another owner before taking their access away." in owner

    not_steward = client.post(url("access_grant", dataset), {"user": engineer.pk, "level": "view"}, follow=True)
    assert "Choose one of the data stewards listed." in not_steward.content.decode()

    empty = client.post(url("access_grant", dataset), {}, follow=True).content.decode()
    assert "Choose the data steward to grant access to." in empty and "Choose the access to grant." in empty

    owner_view_only = client.post(url("access_grant", dataset), {"user": steward.pk, "level": "view"}, follow=True)
    assert "steward owns dataset &#x27;shop-customers&#x27; and keeps the right to edit it." in owner_view_only.content.decode()


def test_a_steward_with_edit_access_cannot_grant(client_of, dataset, steward, other_steward, make_user, last_event):
    grant_dataset_access(actor=steward, dataset=dataset, user=other_steward, level="change")
    third = make_user(Role.DATA_STEWARD)
    response = client_of(other_steward).post(url("access_grant", dataset), {"user": third.pk, "level": "view"})
    assert response.status_code == 403
    assert last_event("dataset.access_granted").data["user"] == other_steward.pk
