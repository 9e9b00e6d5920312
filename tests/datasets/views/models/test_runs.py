"""Training-run pages: registering (with privacy budgets), the run page, finishing, resolving erasure flags, a dataset's runs tab."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.accounts.roles import Role
from compliance.audit.models import AuditEvent
from datasets.models import ErasureStatus, TrainingRun
from datasets.services import (
    create_model,
    flag_training_run,
    record_budget_override,
    register_training_run,
    update_dataset,
)
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

BUDGET_REFUSAL = "This run's ε 2.0 would bring dataset 'shop-customers' to 9.5 of its 8.0 budget."


def run_url(name: str, run) -> str:
    return reverse(f"models:{name}", kwargs={"pk": run.pk})


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-sequence").first()


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def version(dataset, make_version):
    return make_version(dataset, "v1")


@pytest.fixture
def run(engineer, model, version):
    return register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now() - timedelta(hours=2))


def register(client, model, **data):
    values = {"started_at": local(timezone.now() - timedelta(hours=1)), "status": "running", "privacy_technique": "none", **data}
    return client.post(reverse("models:run_create", kwargs={"slug": model.slug}), values)


# --- Registering ----------------------------------------------------------------------------


def test_the_owner_registers_a_dp_run_on_versions_of_any_dataset(engineer, model, version):
    client = verified_client(engineer)
    form = client.get(reverse("models:run_create", kwargs={"slug": model.slug})).context["form"]
    # Engineers are never granted datasets, yet must name what they trained on.
    assert [label for _pk, label in form.fields["dataset_versions"].choices] == ["Shop customers @ v1"]

    response = register(
        client,
        model,
        dataset_versions=[version.pk],
        code_reference="git:4f2a9c1",
        metrics='{"auc": 0.91}',
        privacy_technique="dp_sgd",
        epsilon="1.5",
        delta="0.00001",
        accountant="rdp",
    )

    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run_url("run_detail", run)
    assert (run.epsilon, run.delta, run.accountant, run.metrics, run.registered_by) == (1.5, 1e-5, "rdp", {"auc": 0.91}, engineer)
    assert list(run.dataset_versions.all()) == [version]
    assert last("training_run.registered").data["epsilon"] == 1.5


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"privacy_technique": "dp_sgd"}, "epsilon", "DP-SGD needs the run's ε (a number above 0)."),
        ({"privacy_technique": "none", "epsilon": "1"}, "epsilon", "ε, δ and the accountant apply only to DP-SGD."),
        ({"privacy_technique": "k_anonymised", "k_anonymity_k": "1"}, "k_anonymity_k", "The k must be at least 2."),
        ({"metrics": "[1, 2]"}, "metrics", 'The metrics must be a JSON object, for example {"accuracy": 0.91}.'),
        ({"metrics": "{oops"}, "metrics", "Metrics must be valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)."),
        ({"started_at": "yesterday"}, "started_at", "Enter the start as a date and time, for example 2026-03-01 14:30."),
        ({"dataset_versions": []}, "dataset_versions", "Name at least one dataset version the run used."),
        ({"started_at": ""}, "started_at", "Give the start."),
    ],
)
def test_bad_run_input_is_shown_on_its_field(data, field, message, engineer, model, version):
    response = register(verified_client(engineer), model, **{"dataset_versions": [version.pk], **data})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not TrainingRun.objects.exists()


def test_a_finish_before_the_start_is_refused(engineer, model, version):
    start = timezone.now() - timedelta(hours=1)
    response = register(
        verified_client(engineer), model, dataset_versions=[version.pk], started_at=local(start), finished_at=local(start - timedelta(hours=1))
    )
    assert response.context["form"].errors["finished_at"] == ["The run cannot finish before it started."]


def test_a_run_past_the_budget_is_refused_with_the_figures_and_points_to_a_dpo(dpo, engineer, model, dataset, version):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 8.0})
    register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now(), privacy_technique="dp_sgd", epsilon=7.5)

    response = register(verified_client(engineer), model, dataset_versions=[version.pk], privacy_technique="dp_sgd", epsilon="2")

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["budget_refusal"] == BUDGET_REFUSAL
    assert "This run&#x27;s ε 2.0 would bring dataset &#x27;shop-customers&#x27; to 9.5 of its 8.0 budget." in page
    assert "A DPO can allow it by recording a privacy-budget override on the page of Churn predictor" in page
    assert response.context["override_form"] is None
    assert TrainingRun.objects.count() == 1


def test_an_override_lets_the_next_run_through(dpo, engineer, model, dataset, version):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 8.0})
    register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now(), privacy_technique="dp_sgd", epsilon=7.5)
    record_budget_override(actor=dpo, dataset=dataset, model=model, epsilon_over=1.5, reason="Approved")

    response = register(verified_client(engineer), model, dataset_versions=[version.pk], privacy_technique="dp_sgd", epsilon="2")

    assert response.status_code == 302
    assert last("training_run.registered").data["budgets"][0]["override"] is not None


def test_someone_who_may_both_register_and_override_gets_the_override_form_with_the_refusal(client_for, engineer, dpo, model, dataset, version):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 1.0})
    client, _ = client_for(None, is_staff=True, is_superuser=True)

    response = register(client, model, dataset_versions=[version.pk], privacy_technique="dp_sgd", epsilon="2")

    assert response.context["budget_refusal"] == "This run's ε 2.0 would bring dataset 'shop-customers' to 2.0 of its 1.0 budget."
    assert 'action="/models/churn-predictor/budget-override/"' in response.content.decode()


def test_only_those_who_may_change_the_model_register_runs(other_engineer, client_for, model):
    assert verified_client(other_engineer).get(reverse("models:run_create", kwargs={"slug": model.slug})).status_code == 404
    client, _ = client_for(Role.DPO)
    assert client.get(reverse("models:run_create", kwargs={"slug": model.slug})).status_code == 403


# --- The run page ---------------------------------------------------------------------------


def test_the_run_page_links_the_versions_its_viewer_may_open(run, engineer, dpo, version):
    version_url = reverse("versions:detail", kwargs={"dataset_slug": "shop-customers", "label": "v1"})

    as_dpo = verified_client(dpo).get(run_url("run_detail", run)).content.decode()
    as_engineer = verified_client(engineer).get(run_url("run_detail", run)).content.decode()

    assert version_url in as_dpo
    assert version_url not in as_engineer and "shop-customers@v1" in as_engineer
    assert "Finish the run" in as_engineer and "Finish the run" not in as_dpo
    assert "Resolve the erasure flag" not in as_engineer


def test_finishing_a_run(run, engineer):
    client = verified_client(engineer)
    response = client.post(run_url("run_finish", run), {"status": "completed", "metrics": '{"auc": 0.9}'}, follow=True)

    run.refresh_from_db()
    assert (run.status, run.metrics) == ("completed", {"auc": 0.9}) and run.finished_at is not None
    assert f"Run #{run.pk} recorded as completed." in response.content.decode()
    assert last("training_run.finished").data == {"status": "completed"}

    again = client.post(run_url("run_finish", run), {"status": "failed"}, follow=True)
    assert f"Run #{run.pk} has already finished (completed)." in again.content.decode()


def test_a_flagged_run_is_resolved_by_retraining_on_another_version(run, engineer, dataset, make_version):
    v2 = make_version(dataset, "v2")
    flag_training_run(actor=None, run=run, status=ErasureStatus.AFFECTED, erasure_reference="ER-7")
    client = verified_client(engineer)
    page = client.get(run_url("run_detail", run)).content.decode()
    assert "Affected by erasure" in page and "(erasure ER-7)" in page and "Resolve the erasure flag" in page

    same = client.post(run_url("run_resolve", run), {"resolution": "retrained", "version": run.dataset_versions.get().pk})
    assert same.context["resolve_form"].errors["version"] == [
        "shop-customers@v1 is a version this run already used: retraining on it removes nothing."
    ]

    response = client.post(run_url("run_resolve", run), {"resolution": "retrained", "version": v2.pk}, follow=True)

    run.refresh_from_db()
    assert (run.erasure_status, run.resolution, run.resolved_on_version) == ("resolved", "retrained", v2)
    assert f"Run #{run.pk} resolved: retrained." in response.content.decode()
    assert last("training_run.resolved").data["erasures"] == ["ER-7"]
    assert '<span class="badge badge-ok">Resolved: retrained</span>' in response.content.decode()


def test_an_exemption_needs_a_reason_and_an_unflagged_run_has_nothing_to_resolve(run, engineer):
    client = verified_client(engineer)
    nothing = client.post(run_url("run_resolve", run), {"resolution": "unlearning"}, follow=True)
    assert f"Run #{run.pk} is not flagged by an erasure, so there is nothing to resolve." in nothing.content.decode()

    flag_training_run(actor=None, run=run, status=ErasureStatus.POSSIBLY_AFFECTED, erasure_reference="ER-8")
    response = client.post(run_url("run_resolve", run), {"resolution": "exempt", "reason": ""})
    assert response.context["resolve_form"].errors["reason"] == [
        "Give the reason for the exemption, for example differential privacy with ε below the organisation's threshold."
    ]
    client.post(run_url("run_resolve", run), {"resolution": "exempt", "reason": "DP with ε 0.5"})
    run.refresh_from_db()
    assert (run.resolution, run.resolution_reason) == ("exempt", "DP with ε 0.5")


def test_readers_cannot_finish_or_resolve(run, client_for):
    client, _ = client_for(Role.AUDITOR)
    assert client.post(run_url("run_finish", run), {"status": "failed"}).status_code == 403
    assert client.post(run_url("run_resolve", run), {"resolution": "unlearning"}).status_code == 403
    run.refresh_from_db()
    assert run.status == "running"


# --- A dataset's runs tab --------------------------------------------------------------------


def test_the_runs_tab_shows_the_runs_and_the_budget_ledger(steward, dpo, engineer, model, dataset, version):
    update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 4.0})
    register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now(), privacy_technique="dp_sgd", epsilon=1.5)

    response = verified_client(steward).get(reverse("models:dataset_runs", kwargs={"dataset_slug": dataset.slug}))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Training runs<' in page
    assert "<dt>Budget</dt><dd>ε 4.0</dd>" in page and "<dt>Spent</dt><dd>ε 1.5</dd>" in page and "<dt>Remaining</dt><dd>ε 2.5</dd>" in page
    # The steward may not open the engineer's model: named, not linked.
    assert "Churn predictor" in page and reverse("models:detail", kwargs={"slug": model.slug}) not in page


@pytest.mark.parametrize("count", [10, 1000])
def test_the_runs_tab_takes_constant_queries(count, steward, engineer, dataset, version, django_assert_max_num_queries):
    model = create_model(actor=engineer, name="M")
    started = timezone.now()
    runs = TrainingRun.objects.bulk_create(TrainingRun(model=model, started_at=started) for _ in range(count))
    TrainingRun.dataset_versions.through.objects.bulk_create(
        TrainingRun.dataset_versions.through(trainingrun_id=run.pk, datasetversion_id=version.pk) for run in runs
    )
    client = verified_client(steward)

    with django_assert_max_num_queries(17):
        response = client.get(reverse("models:dataset_runs", kwargs={"dataset_slug": dataset.slug}))

    assert len(response.context["page"]) == min(count, 50)
