"""The model pages: the list, registering and editing, the model page, access grants and budget overrides."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.models import MLModel, PrivacyBudgetOverride, TrainingRun
from datasets.services import create_model, grant_model_access, register_training_run, update_dataset
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

LIST = reverse("models:list")


def url(name: str, model) -> str:
    return reverse(f"models:{name}", kwargs={"slug": model.slug})


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-sequence").first()


# --- The list ------------------------------------------------------------------------------


def test_an_engineer_lists_only_the_models_granted_to_them(engineer, other_engineer, model, make_version, dataset):
    create_model(actor=other_engineer, name="Fraud scorer")
    version = make_version(dataset, "v1")
    run = register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=version.created_at)
    run.erasure_status = "affected"
    run.save(update_fields=["erasure_status"])

    response = verified_client(engineer).get(LIST)

    page = response.content.decode()
    assert [(row.name, row.run_count, row.flagged_run_count) for row in response.context["page"]] == [("Churn predictor", 1, 1)]
    assert "Fraud scorer" not in page
    assert '<span class="badge badge-bad">1 flagged</span>' in page
    assert "Register a model" in page


@pytest.mark.parametrize("role", [Role.DATA_STEWARD, Role.EMPLOYEE])
def test_stewards_and_employees_are_refused_the_list(role, client_for, model):
    client, _ = client_for(role)
    assert client.get(LIST).status_code == 403


def test_the_list_filters(client_for, engineer, make_version, dataset):
    create_model(actor=engineer, name="Churn predictor", deployment_status="production")
    create_model(actor=engineer, name="Basket recommender")
    client, _ = client_for(Role.AUDITOR)

    assert [m.name for m in client.get(LIST, {"search": "churn"}).context["page"]] == ["Churn predictor"]
    assert [m.name for m in client.get(LIST, {"deployment_status": "development"}).context["page"]] == ["Basket recommender"]
    assert list(client.get(LIST, {"flagged_only": "on"}).context["page"]) == []
    assert "No models match these filters." in client.get(LIST, {"search": "nothing"}).content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_the_list_takes_constant_queries(count, engineer, django_assert_max_num_queries):
    models = MLModel.objects.bulk_create(MLModel(name=f"Model {n:04d}", slug=f"model-{n:04d}", owner=engineer) for n in range(count))
    for model in models[:60]:
        assign_perm("datasets.view_mlmodel", engineer, model)
    client = verified_client(engineer)

    with django_assert_max_num_queries(12):
        response = client.get(LIST)

    assert response.status_code == 200 and len(response.context["page"]) == min(count, 50)


# --- Registering and editing ----------------------------------------------------------------


def test_an_engineer_registers_a_model_they_then_own(engineer):
    client = verified_client(engineer)
    response = client.post(
        reverse("models:create"), {"name": "Churn predictor", "intended_use": "Retention offers", "deployment_status": "staging"}
    )

    model = MLModel.objects.get(slug="churn-predictor")
    assert response.status_code == 302 and response["Location"] == url("detail", model)
    assert (model.owner, model.deployment_status) == (engineer, "staging")
    assert last("ml_model.created").data["slug"] == "churn-predictor"
    assert "Model Churn predictor registered." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "New"}, "slug", "'new' is the address of a page here: give the model another slug."),
        ({"name": "X", "slug": "runs"}, "slug", "'runs' is the address of a page here: give the model another slug."),
        ({"name": "X", "slug": "churn-predictor"}, "slug", "A model with the slug 'churn-predictor' already exists."),
        ({"name": "  "}, "name", "This field is required."),
    ],
)
def test_bad_model_input_is_shown_on_its_field(data, field, message, engineer, model):
    response = verified_client(engineer).post(reverse("models:create"), {"deployment_status": "development", **data})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]


def test_an_administrator_names_the_owner_who_must_be_an_engineer(client_for, engineer, steward):
    client, _ = client_for(None, is_staff=True, is_superuser=True)
    form = client.get(reverse("models:create")).context["form"]
    assert [user.username for user in form.fields["owner"].queryset] == ["engineer"]

    client.post(reverse("models:create"), {"name": "Scorer", "owner": engineer.pk, "deployment_status": "development"})

    assert MLModel.objects.get(slug="scorer").owner == engineer


def test_the_owner_edits_the_model_and_others_may_not(engineer, other_engineer, model, dpo):
    response = verified_client(engineer).post(
        url("edit", model), {"name": "Churn predictor v2", "owner": engineer.pk, "deployment_status": "production", "intended_use": ""}
    )
    model.refresh_from_db()
    assert response.status_code == 302 and (model.name, model.deployment_status) == ("Churn predictor v2", "production")
    assert last("ml_model.updated").data["changes"]["deployment_status"] == {"from": "development", "to": "production"}
    assert verified_client(other_engineer).get(url("edit", model)).status_code == 404
    assert verified_client(dpo).get(url("edit", model)).status_code == 403


# --- The model page -----------------------------------------------------------------------


def test_the_model_page_shows_runs_with_privacy_and_erasure_status(client_for, engineer, model, make_version, dataset):
    version = make_version(dataset, "v1")
    run = register_training_run(
        actor=engineer, model=model, dataset_versions=[version], started_at=version.created_at, privacy_technique="dp_sgd", epsilon=1.5, delta=1e-5
    )
    run.erasure_status = "possibly_affected"
    run.save(update_fields=["erasure_status"])
    client, _ = client_for(Role.AUDITOR)

    page = client.get(url("detail", model)).content.decode()

    assert reverse("models:run_detail", kwargs={"pk": run.pk}) in page
    assert "DP-SGD <span class=\"nowrap\">(ε 1.5, δ 1e-05)</span>" in page
    assert '<span class="badge badge-warn">Possibly affected</span>' in page
    # Readers see no access management, no budget form, no buttons that change things.
    assert "Grant access" not in page and "Privacy-budget override" not in page and "Register a run" not in page


def test_the_owner_manages_access_and_the_engineer_granted_sees_the_model(engineer, other_engineer, model):
    owner = verified_client(engineer)
    assert "Grant access" in owner.get(url("detail", model)).content.decode()
    assert verified_client(other_engineer).get(url("detail", model)).status_code == 404

    response = owner.post(url("access_grant", model), {"user": other_engineer.pk}, follow=True)

    assert "other-engineer may now see Churn predictor and register its runs." in response.content.decode()
    assert last("ml_model.access_granted").data == {"slug": "churn-predictor", "user": other_engineer.pk}
    assert verified_client(other_engineer).get(url("detail", model)).status_code == 200

    response = owner.post(url("access_revoke", model), {"user": other_engineer.pk}, follow=True)

    assert "other-engineer no longer has access to Churn predictor." in response.content.decode()
    assert last("ml_model.access_revoked") is not None
    assert verified_client(other_engineer).get(url("detail", model)).status_code == 404


def test_the_owners_own_access_cannot_be_revoked(engineer, model):
    response = verified_client(engineer).post(url("access_revoke", model), {"user": engineer.pk}, follow=True)
    assert "engineer owns model &#x27;churn-predictor&#x27;: choose another owner before taking their access away." in response.content.decode()


def test_only_engineers_may_be_granted_and_a_granted_engineer_may_not_grant(engineer, other_engineer, steward, model):
    owner = verified_client(engineer)
    response = owner.post(url("access_grant", model), {"user": steward.pk})
    assert response.status_code == 200
    assert response.context["grant_form"].errors["user"] == ["Select a valid choice. That choice is not one of the available choices."]

    grant_model_access(actor=engineer, model=model, user=other_engineer)
    assert verified_client(other_engineer).post(url("access_grant", model), {"user": other_engineer.pk}).status_code == 403


# --- Budget overrides -----------------------------------------------------------------------


def test_a_dpo_records_a_budget_override_on_the_model_page(dpo, model, dataset):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 8.0})
    client = verified_client(dpo)
    assert "Privacy-budget override" in client.get(url("detail", model)).content.decode()

    response = client.post(url("budget_override", model), {"dataset": dataset.pk, "epsilon_over": "1.5", "reason": "Board approved"}, follow=True)

    assert "Override recorded: the next run of Churn predictor may take Shop customers up to ε 1.5 past its budget." in response.content.decode()
    override = PrivacyBudgetOverride.objects.get()
    assert (override.model, override.epsilon_over, override.created_by) == (model, 1.5, dpo)
    assert last("privacy_budget.override_recorded").data["reason"] == "Board approved"


def test_a_budget_override_without_figures_shows_the_services_words(dpo, model, dataset):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 8.0})
    response = verified_client(dpo).post(url("budget_override", model), {"dataset": dataset.pk, "epsilon_over": "0", "reason": " "})
    assert response.context["override_form"].errors == {
        "epsilon_over": ["The ε over budget must be above 0."],
        "reason": ["Give the reason for exceeding the privacy budget."],
    }


def test_only_a_dpo_records_overrides(engineer, model, dataset, client_for):
    client, _ = client_for(Role.COMPLIANCE_MANAGER)
    assert client.post(url("budget_override", model), {"dataset": dataset.pk, "epsilon_over": "1", "reason": "x"}).status_code == 403
    assert verified_client(engineer).post(url("budget_override", model), {"dataset": dataset.pk}).status_code == 403
    assert not PrivacyBudgetOverride.objects.exists() and not TrainingRun.objects.exists()


# --- Navigation ----------------------------------------------------------------------------


def test_the_models_link_and_card_show_to_those_who_may_open_the_list(engineer, steward, client_for):
    reader, _ = client_for(Role.DPO)  # a reader of every model who keeps the card home (auditors land on their workspace)
    for client in (verified_client(engineer), reader):
        page = client.get(reverse("home")).content.decode()
        assert f'<a href="{LIST}">Models</a>' in page and "Open the models" in page
    page = verified_client(steward).get(reverse("home")).content.decode()
    assert f'href="{LIST}"' not in page
