"""ML models and training runs: access, privacy budgets and overrides, erasure flags and their resolution."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from guardian.shortcuts import get_perms

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.models import PrivacyBudgetOverride, TrainingRun
from datasets.services import (
    PrivacyBudgetExceeded,
    RegistryActionRefused,
    create_model,
    finish_training_run,
    flag_training_run,
    grant_model_access,
    record_budget_override,
    register_training_run,
    resolve_training_run,
    revoke_model_access,
    update_dataset,
    update_model,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(dataset, make_version):
    return make_version(dataset, "v1")


def register(actor, model, versions, **fields):
    fields.setdefault("started_at", timezone.now() - timedelta(hours=2))
    return register_training_run(actor=actor, model=model, dataset_versions=versions, **fields)


def dp(epsilon, **fields):
    return {"privacy_technique": "dp_sgd", "epsilon": epsilon, "delta": 1e-5, "accountant": "rdp", **fields}


def test_the_engineer_creating_a_model_owns_it_and_is_granted_it(engineer, model):
    assert model.slug == "churn-predictor" and model.owner == engineer
    assert set(get_perms(engineer, model)) == {"view_mlmodel", "change_mlmodel"}
    assert AuditEvent.objects.get(action="ml_model.created").data == {
        "slug": "churn-predictor",
        "name": "Churn predictor",
        "deployment_status": "development",
        "owner": engineer.pk,
    }


def test_model_creation_and_edits_are_checked(engineer, other_engineer, steward, model, make_user):
    with pytest.raises(PermissionDenied, match="You may not register ML models."):
        create_model(actor=steward, name="M")
    with pytest.raises(ValidationError) as excinfo:
        create_model(actor=engineer, name=" ", owner=steward, deployment_status="live", slug="churn-predictor")
    assert excinfo.value.message_dict == {
        "slug": ["A model with the slug 'churn-predictor' already exists."],
        "name": ["Give the model's name."],
        "owner": ["The owner must be an ML engineer; steward is not."],
        "deployment_status": ["Unknown deployment status 'live'. Use one of: development, staging, production, retired."],
    }
    with pytest.raises(PermissionDenied, match="You may not edit model 'churn-predictor'."):
        update_model(actor=other_engineer, model=model, changes={"deployment_status": "production"})
    update_model(actor=engineer, model=model, changes={"deployment_status": "production"})
    assert AuditEvent.objects.get(action="ml_model.updated").data["changes"] == {
        "deployment_status": {"from": "development", "to": "production"}
    }


def test_the_owner_grants_and_revokes_model_access_to_engineers_only(engineer, other_engineer, steward, model):
    with pytest.raises(ValidationError, match="Models are granted to ML engineers; steward is not one."):
        grant_model_access(actor=engineer, model=model, user=steward)
    with pytest.raises(PermissionDenied, match="You may not grant access to model 'churn-predictor'."):
        grant_model_access(actor=other_engineer, model=model, user=other_engineer)

    assert grant_model_access(actor=engineer, model=model, user=other_engineer) is True
    assert grant_model_access(actor=engineer, model=model, user=other_engineer) is False
    assert revoke_model_access(actor=engineer, model=model, user=other_engineer) is True
    assert get_perms(other_engineer, model) == []
    with pytest.raises(RegistryActionRefused, match="engineer owns model 'churn-predictor'"):
        revoke_model_access(actor=engineer, model=model, user=engineer)


def test_a_run_is_registered_with_its_versions_and_privacy(engineer, model, version):
    run = register(engineer, model, [version, version], code_reference="git:abc123", metrics={"auc": 0.9}, **dp(1.5))

    assert list(run.dataset_versions.all()) == [version]
    assert (run.privacy_technique, run.epsilon, run.delta, run.accountant) == ("dp_sgd", 1.5, 1e-5, "rdp")
    assert run.registered_by == engineer and run.status == "running"
    event = AuditEvent.objects.get(action="training_run.registered")
    assert event.data["dataset_versions"] == [version.pk]
    assert event.data["epsilon"] == 1.5 and event.data["budgets"] == []


def test_only_engineers_granted_the_model_register_its_runs(other_engineer, model, version):
    with pytest.raises(PermissionDenied, match="You may not register runs of model 'churn-predictor'."):
        register(other_engineer, model, [version])


def test_run_fields_are_validated(engineer, model, version):
    start = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        register(engineer, model, [], started_at=start, finished_at=start - timedelta(minutes=1), privacy_technique="dp_sgd", metrics=[1])
    assert excinfo.value.message_dict == {
        "dataset_versions": ["Name at least one dataset version the run used."],
        "finished_at": ["The run cannot finish before it started."],
        "metrics": ['Give the metrics as a JSON object, for example {"accuracy": 0.91}.'],
        "epsilon": ["DP-SGD needs the run's ε (a number above 0)."],
    }
    with pytest.raises(ValidationError) as excinfo:
        register(engineer, model, [version], epsilon=2.0, privacy_technique="k_anonymised")
    assert excinfo.value.message_dict == {
        "epsilon": ["ε, δ and the accountant apply only to DP-SGD."],
        "k_anonymity_k": ["Training on k-anonymised data needs k (2 or more)."],
    }


def test_a_run_past_the_budget_is_refused_with_the_figures(dataset, dpo, engineer, model, version):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 8.0})
    register(engineer, model, [version], **dp(4.0))
    register(engineer, model, [version], **dp(3.5))
    register(engineer, model, [version])  # not differentially private: spends nothing

    with pytest.raises(PrivacyBudgetExceeded) as excinfo:
        register(engineer, model, [version], **dp(2.0))
    assert str(excinfo.value) == "This run's ε 2.0 would bring dataset 'shop-customers' to 9.5 of its 8.0 budget."
    assert TrainingRun.objects.count() == 3

    within = register(engineer, model, [version], **dp(0.5))
    assert AuditEvent.objects.get(action="training_run.registered", target_id=str(within.pk)).data["budgets"] == [
        {"dataset": "shop-customers", "budget": 8.0, "spent_before": 7.5, "spent_after": 8.0, "override": None}
    ]


def test_each_dataset_a_run_uses_counts_its_own_budget_and_every_overrun_is_named(make_dataset, make_version, dpo, engineer, model):
    first = make_dataset("First", privacy_budget_epsilon=1.0)
    second = make_dataset("Second", privacy_budget_epsilon=3.0)
    unlimited = make_dataset("Unlimited")
    with pytest.raises(PrivacyBudgetExceeded) as excinfo:
        register(engineer, model, [make_version(first, "v1"), make_version(second, "v1"), make_version(unlimited, "v1")], **dp(3.25))
    assert str(excinfo.value) == (
        "This run's ε 3.25 would bring dataset 'first' to 3.25 of its 1.0 budget."
        " This run's ε 3.25 would bring dataset 'second' to 3.25 of its 3.0 budget."
    )


def test_a_dpo_override_lets_one_run_of_that_model_past_the_budget(dataset, dpo, engineer, model, version):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 8.0})
    register(engineer, model, [version], **dp(7.5))
    other_model = create_model(actor=engineer, name="Other")
    override = record_budget_override(actor=dpo, dataset=dataset, model=model, epsilon_over=1.5, reason="Board approved one retrain")

    with pytest.raises(PrivacyBudgetExceeded):
        register(engineer, other_model, [version], **dp(2.0))
    run = register(engineer, model, [version], **dp(2.0))

    override.refresh_from_db()
    assert override.run == run and override.used_at is not None
    assert AuditEvent.objects.get(action="training_run.registered", target_id=str(run.pk)).data["budgets"][0]["override"] == override.pk
    assert AuditEvent.objects.get(action="privacy_budget.override_recorded").data == {
        "dataset": "shop-customers",
        "model": "churn-predictor",
        "budget": 8.0,
        "epsilon_over": 1.5,
        "reason": "Board approved one retrain",
    }
    with pytest.raises(PrivacyBudgetExceeded, match="would bring dataset 'shop-customers' to 10.0 of its 8.0 budget"):
        register(engineer, model, [version], **dp(0.5))


def test_an_override_too_small_for_the_run_does_not_apply(dataset, dpo, engineer, model, version):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 1.0})
    record_budget_override(actor=dpo, dataset=dataset, model=model, epsilon_over=0.5, reason="small")
    with pytest.raises(PrivacyBudgetExceeded):
        register(engineer, model, [version], **dp(2.0))
    assert PrivacyBudgetOverride.objects.get().run is None


def test_only_a_dpo_records_overrides_and_only_with_a_reason_and_a_budget(dataset, make_dataset, dpo, engineer, model, make_user):
    with pytest.raises(RegistryActionRefused, match="Only a DPO can record a privacy-budget override."):
        record_budget_override(actor=make_user(Role.COMPLIANCE_MANAGER), dataset=dataset, model=model, epsilon_over=1, reason="x")
    with pytest.raises(ValidationError) as excinfo:
        record_budget_override(actor=dpo, dataset=dataset, model=model, epsilon_over=0, reason=" ")
    assert excinfo.value.message_dict == {
        "dataset": ["Dataset 'shop-customers' has no privacy budget to exceed."],
        "epsilon_over": ["The ε over budget must be above 0."],
        "reason": ["Give the reason for exceeding the privacy budget."],
    }


def test_finishing_a_run_once(engineer, model, version):
    run = register(engineer, model, [version])
    finish_training_run(actor=engineer, run=run, status="completed", metrics={"auc": 0.88})
    run.refresh_from_db()
    assert run.status == "completed" and run.metrics == {"auc": 0.88} and run.finished_at is not None
    with pytest.raises(RegistryActionRefused, match=rf"^Run #{run.pk} has already finished \(completed\).$"):
        finish_training_run(actor=engineer, run=run, status="failed")


def test_flagging_is_idempotent_per_erasure_and_never_downgrades(engineer, model, version):
    run = register(engineer, model, [version])

    flag_training_run(actor=None, run=run, status="possibly_affected", erasure_reference="erasure request #4")
    flag_training_run(actor=None, run=run, status="possibly_affected", erasure_reference="erasure request #4")
    assert AuditEvent.objects.filter(action="training_run.flagged").count() == 1
    flag_training_run(actor=None, run=run, status="affected", erasure_reference="erasure request #5")
    flag_training_run(actor=None, run=run, status="possibly_affected", erasure_reference="erasure request #6")

    run.refresh_from_db()
    assert run.erasure_status == "affected"
    assert run.erasure_references == ["erasure request #4", "erasure request #5", "erasure request #6"]
    assert AuditEvent.objects.filter(action="training_run.flagged").order_by("-sequence").first().data == {
        "model": "churn-predictor",
        "from": "affected",
        "to": "affected",
        "flagged_as": "possibly_affected",
        "erasure": "erasure request #6",
    }


def test_resolving_a_flag(dataset, make_version, engineer, other_engineer, model, version):
    run = register(engineer, model, [version])
    with pytest.raises(RegistryActionRefused, match=rf"^Run #{run.pk} is not flagged by an erasure, so there is nothing to resolve.$"):
        resolve_training_run(actor=engineer, run=run, resolution="unlearning")
    flag_training_run(actor=None, run=run, status="affected", erasure_reference="erasure request #4")

    with pytest.raises(PermissionDenied, match="You may not resolve runs of model 'churn-predictor'."):
        resolve_training_run(actor=other_engineer, run=run, resolution="unlearning")
    with pytest.raises(ValidationError) as excinfo:
        resolve_training_run(actor=engineer, run=run, resolution="retrained")
    assert excinfo.value.message_dict == {"version": ["Say which dataset version the model was retrained on."]}
    with pytest.raises(ValidationError) as excinfo:
        resolve_training_run(actor=engineer, run=run, resolution="retrained", version=version)
    assert excinfo.value.message_dict == {
        "version": ["shop-customers@v1 is a version this run already used: retraining on it removes nothing."]
    }
    with pytest.raises(ValidationError) as excinfo:
        resolve_training_run(actor=engineer, run=run, resolution="exempt")
    assert excinfo.value.message_dict == {
        "reason": [
            "Give the reason for the exemption, for example differential privacy with ε below the organisation's threshold."
        ]
    }

    v2 = make_version(dataset, "v2")
    resolve_training_run(actor=engineer, run=run, resolution="retrained", version=v2)
    run.refresh_from_db()
    assert (run.erasure_status, run.resolution, run.resolved_on_version, run.resolved_by) == ("resolved", "retrained", v2, engineer)
    assert AuditEvent.objects.get(action="training_run.resolved").data == {
        "model": "churn-predictor",
        "from": "affected",
        "resolution": "retrained",
        "version": v2.pk,
        "erasures": ["erasure request #4"],
        "reason": "",
    }
    with pytest.raises(RegistryActionRefused, match=rf"^Run #{run.pk} was already resolved on .* \(retrained\).$"):
        resolve_training_run(actor=engineer, run=run, resolution="unlearning")

    flag_training_run(actor=None, run=run, status="possibly_affected", erasure_reference="erasure request #9")
    run.refresh_from_db()
    assert (run.erasure_status, run.resolution, run.erasure_references) == ("possibly_affected", "", ["erasure request #9"])
