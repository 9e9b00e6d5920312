"""POST/GET /api/v1/training-runs/, GET /api/v1/training-runs/{id}/ and its finish: privacy, budgets, scopes, grants."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from datasets.models import DatasetVersion, TrainingRun
from datasets.services import create_model, record_budget_override, register_training_run
from tests.conftest import verified_client
from tests.datasets.api.conftest import errors_of, events, send

pytestmark = pytest.mark.django_db

LIST = "/api/v1/training-runs/"
NEITHER_SCOPE = "This API key lacks the scope registry:write or training:write."


def detail(pk: int) -> str:
    return f"/api/v1/training-runs/{pk}/"


def finish(pk: int) -> str:
    return f"/api/v1/training-runs/{pk}/finish/"



@pytest.fixture
def version(dataset, make_version):
    return make_version(dataset, "v3")


@pytest.fixture
def dp_run_body(model, version):
    """The issue's example: a DP-SGD run of the model on one version."""
    return {
        "model": model.slug,
        "dataset_versions": ["shop-customers@v3"],
        "privacy": {"technique": "dp_sgd", "epsilon": 1.0, "delta": 1e-5, "accountant": "rdp"},
        "started_at": "2026-03-02T08:00:00Z",
        "code_reference": "git:4f2a9c1",
        "metrics": {"auc": 0.87},
    }


@pytest.mark.parametrize("scope", ["training:write", "registry:write"])
def test_a_key_registers_a_dp_run(key_client, dp_run_body, scope):
    client, key = key_client(scope)
    response = send(client, "post", LIST, dp_run_body)

    assert response.status_code == 201, response.content
    run = TrainingRun.objects.get()
    assert response["Location"] == f"/api/v1/training-runs/{run.pk}/"
    assert response.json() == {
        "id": run.pk,
        "model": "churn-predictor",
        "dataset_versions": ["shop-customers@v3"],
        "started_at": "2026-03-02T08:00:00Z",
        "finished_at": None,
        "status": "running",
        "code_reference": "git:4f2a9c1",
        "metrics": {"auc": 0.87},
        "privacy": {"technique": "dp_sgd", "epsilon": 1.0, "delta": 1e-05, "accountant": "rdp", "k": None},
        "erasure_status": "none",
        "resolution": "",
        "registered_at": response.json()["registered_at"],
    }
    assert run.registered_by is None
    [event] = events("training_run.registered")
    assert (event.actor_type, event.actor_id) == ("api_key", str(key.pk))
    assert (event.data["privacy_technique"], event.data["epsilon"]) == ("dp_sgd", 1.0)


def test_a_finished_run_without_privacy_technique(writer, model, version, make_version, dataset):
    client, _ = writer
    make_version(dataset, "v4")
    response = send(
        client,
        "post",
        LIST,
        {
            "model": "churn-predictor",
            "dataset_versions": ["shop-customers@v3", "shop-customers@v4", "shop-customers@v3"],
            "started_at": "2026-03-02T08:00:00+01:00",
            "finished_at": "2026-03-02T09:30:00+01:00",
            "status": "completed",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(body["dataset_versions"]) == ["shop-customers@v3", "shop-customers@v4"]
    assert body["privacy"] == {"technique": "none", "epsilon": None, "delta": None, "accountant": "", "k": None}
    assert (body["status"], body["finished_at"]) == ("completed", "2026-03-02T08:30:00Z")


def test_a_run_on_k_anonymised_data_gives_k(writer, model, version):
    client, _ = writer
    body = send(
        client,
        "post",
        LIST,
        {"model": "churn-predictor", "dataset_versions": ["shop-customers@v3"], "started_at": "2026-03-02T08:00:00Z", "privacy": {"technique": "k_anonymised", "k": 5}},
    ).json()
    assert body["privacy"]["technique"] == "k_anonymised" and body["privacy"]["k"] == 5


def test_a_run_past_the_privacy_budget_is_refused_409_with_the_figures(writer, dataset, model, version, dp_run_body):
    client, _ = writer
    dataset.privacy_budget_epsilon = 2.0
    dataset.save(update_fields=["privacy_budget_epsilon"])
    register_training_run(
        actor=None, model=model, dataset_versions=[version], started_at=timezone.now(), privacy_technique="dp_sgd", epsilon=1.5
    )

    response = send(client, "post", LIST, dp_run_body)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This run's ε 1.0 would bring dataset 'shop-customers' to 2.5 of its 2.0 budget.",
        "code": "privacy_budget_exceeded",
    }
    assert TrainingRun.objects.count() == 1
    assert not events("training_run.registered")[1:]


def test_a_dpo_override_lets_the_run_through(writer, dataset, model, version, dp_run_body, dpo):
    client, _ = writer
    dataset.privacy_budget_epsilon = 0.5
    dataset.save(update_fields=["privacy_budget_epsilon"])
    override = record_budget_override(actor=dpo, dataset=dataset, model=model, epsilon_over=0.5, reason="One-off audit model.")

    response = send(client, "post", LIST, dp_run_body)

    assert response.status_code == 201, response.content
    override.refresh_from_db()
    assert override.run_id == response.json()["id"]


@pytest.mark.parametrize(
    ("privacy", "errors"),
    [
        ({"technique": "dp_sgd"}, {"epsilon": ["DP-SGD needs the run's ε (a number above 0)."]}),
        ({"technique": "dp_sgd", "epsilon": -1}, {"epsilon": ["The ε must be above 0."]}),
        ({"technique": "dp_sgd", "epsilon": 1, "delta": 1.5}, {"delta": ["The δ must be below 1."]}),
        ({"technique": "none", "epsilon": 3}, {"epsilon": ["ε, δ and the accountant apply only to DP-SGD."]}),
        ({"technique": "k_anonymised"}, {"k": ["Training on k-anonymised data needs k (2 or more)."]}),
        ({"technique": "homomorphic"}, {"technique": [
            '"homomorphic" is not a valid code. Use one of: none, dp_sgd, federated, k_anonymised.'
        ]}),
        ({"technique": "dp_sgd", "epsilon": "one"}, {"epsilon": ["A valid number is required."]}),
        ({"technique": "dp_sgd", "epsilon": 1, "sigma": 0.8}, {"sigma": [
            "Unknown field. The fields accepted here are: technique, epsilon, delta, accountant, k."
        ]}),
    ],
)
def test_privacy_errors_sit_under_privacy(writer, model, version, privacy, errors):
    client, _ = writer
    body = {"model": "churn-predictor", "dataset_versions": ["shop-customers@v3"], "started_at": "2026-03-02T08:00:00Z", "privacy": privacy}
    assert errors_of(send(client, "post", LIST, body)) == {"privacy": errors}
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"model": "no-such-model"}, {"model": ["No model 'no-such-model' that you may see."]}),
        ({"dataset_versions": ["shop-customers@v9", "nope@v1"]}, {"dataset_versions": [
            "No dataset version shop-customers@v9, nope@v1 that you may name."
        ]}),
        ({"dataset_versions": ["v3", "a@b@c"]}, {"dataset_versions": [
            "Name each version as dataset-slug@label, for example shop-customers@v3: v3, a@b@c."
        ]}),
        ({"dataset_versions": []}, {"dataset_versions": ["Name at least one dataset version the run used."]}),
        ({"dataset_versions": "shop-customers@v3"}, {"dataset_versions": ['Expected a list of items but got type "str".']}),
        ({"started_at": "tomorrow"}, {"started_at": [
            "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ]}),
        ({"finished_at": "2026-03-01T08:00:00Z"}, {"finished_at": ["The run cannot finish before it started."]}),
        ({"status": "paused"}, {"status": ['"paused" is not a valid code. Use one of: running, completed, failed.']}),
        ({"metrics": [0.9]}, {"metrics": ['Expected a dictionary of items but got type "list".']}),
        ({"privacy": "dp"}, {"privacy": {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}}),
    ],
)
def test_bad_runs_are_a_400_naming_each_field(writer, model, version, changes, errors):
    client, _ = writer
    body = {"model": "churn-predictor", "dataset_versions": ["shop-customers@v3"], "started_at": "2026-03-02T08:00:00Z", **changes}
    assert errors_of(send(client, "post", LIST, body)) == errors
    assert not TrainingRun.objects.exists()


def test_required_fields_are_named(writer):
    client, _ = writer
    assert errors_of(send(client, "post", LIST, {})) == {
        "model": ["This field is required."],
        "dataset_versions": ["This field is required."],
        "started_at": ["This field is required."],
    }


def test_a_key_with_neither_scope_reads_runs_but_cannot_register(key_client, dp_run_body, model, version):
    run = register_training_run(actor=None, model=model, dataset_versions=[version], started_at=timezone.now())
    client, _ = key_client("consent:write")
    assert client.get(LIST).json()["count"] == 1
    assert client.get(detail(run.pk)).json()["id"] == run.pk
    for url in (LIST, finish(run.pk)):
        response = send(client, "post", url, dp_run_body)
        assert response.status_code == 403 and response.json()["detail"] == NEITHER_SCOPE


# --- sessions -----------------------------------------------------------------------------------


def test_an_engineer_registers_runs_of_granted_models_only(engineer, other_engineer, model, version, dp_run_body):
    hidden = create_model(actor=other_engineer, name="Other model")
    client = verified_client(engineer)

    response = send(client, "post", LIST, dp_run_body)
    assert response.status_code == 201, response.content
    assert TrainingRun.objects.get().registered_by == engineer
    # Engineers name any dataset version (they are never granted datasets) but only their models.
    assert errors_of(send(client, "post", LIST, {**dp_run_body, "model": hidden.slug})) == {
        "model": ["No model 'other-model' that you may see."]
    }
    hidden_run = register_training_run(actor=None, model=hidden, dataset_versions=[version], started_at=timezone.now())
    assert [row["model"] for row in client.get(LIST).json()["results"]] == ["churn-predictor"]
    assert client.get(detail(hidden_run.pk)).json() == {"detail": "No such training run.", "code": "not_found"}
    assert send(client, "post", finish(hidden_run.pk), {"status": "failed"}).status_code == 404


def test_the_dpo_reads_runs_but_registers_none(client_for, dp_run_body):
    client, _ = client_for(Role.DPO)
    response = send(client, "post", LIST, dp_run_body)
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not register runs of model 'churn-predictor'."


def test_a_steward_is_refused_the_run_registry(client_for):
    client, _ = client_for(Role.DATA_STEWARD)
    response = client.get(LIST)
    assert response.status_code == 403
    assert response.json()["detail"] == "The model registry is for ML engineers, the DPO, compliance managers and auditors."


# --- reading and finishing ----------------------------------------------------------------------


def test_the_list_filters_by_model(writer, model, version):
    client, _ = writer
    other = create_model(actor=None, name="Other")
    register_training_run(actor=None, model=model, dataset_versions=[version], started_at=timezone.now() - timedelta(days=1))
    register_training_run(actor=None, model=other, dataset_versions=[version], started_at=timezone.now())
    assert [row["model"] for row in client.get(LIST).json()["results"]] == ["other", "churn-predictor"]
    assert [row["model"] for row in client.get(LIST, {"model": "churn-predictor"}).json()["results"]] == ["churn-predictor"]
    assert errors_of(client.get(LIST, {"model": "not a slug"}))["model"] == [
        'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
    ]


def test_an_unknown_run_is_404(writer):
    client, _ = writer
    assert client.get(detail(9999)).json() == {"detail": "No such training run.", "code": "not_found"}


def test_a_pipeline_finishes_its_run_once(writer, engineer, model, version):
    client, key = writer
    run = register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now() - timedelta(hours=2))

    response = send(client, "post", finish(run.pk), {"status": "completed", "metrics": {"auc": 0.91}})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["metrics"]) == ("completed", {"auc": 0.91}) and body["finished_at"] is not None
    [event] = events("training_run.finished")
    assert (event.actor_type, event.actor_id, event.data) == ("api_key", str(key.pk), {"status": "completed"})

    again = send(client, "post", finish(run.pk), {"status": "failed"})
    assert again.status_code == 409
    assert again.json() == {"detail": f"Run #{run.pk} has already finished (completed).", "code": "conflict"}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"status": ["This field is required."]}),
        ({"status": "running"}, {"status": ["A run finishes as completed or failed."]}),
        ({"status": "completed", "finished_at": "2000-01-01T00:00:00Z"}, {"finished_at": ["The run cannot finish before it started."]}),
        ({"status": "completed", "metrics": "good"}, {"metrics": ['Expected a dictionary of items but got type "str".']}),
    ],
)
def test_bad_finishes_are_a_400(writer, model, version, body, errors):
    client, _ = writer
    run = register_training_run(actor=None, model=model, dataset_versions=[version], started_at=timezone.now() - timedelta(hours=1))
    assert errors_of(send(client, "post", finish(run.pk), body)) == errors
    run.refresh_from_db()
    assert run.status == "running"


def test_the_list_takes_the_same_queries_at_10_and_200_runs(writer, model, dataset, django_assert_max_num_queries):
    client, _ = writer
    versions = DatasetVersion.objects.bulk_create([DatasetVersion(dataset=dataset, label=f"v{n}") for n in range(3)])
    for count in (10, 200):
        TrainingRun.dataset_versions.through.objects.all().delete()
        TrainingRun.objects.all().delete()
        runs = TrainingRun.objects.bulk_create([TrainingRun(model=model, started_at=timezone.now()) for _ in range(count)])
        TrainingRun.dataset_versions.through.objects.bulk_create(
            [TrainingRun.dataset_versions.through(trainingrun_id=run.pk, datasetversion_id=version.pk) for run in runs for version in versions]
        )
        with django_assert_max_num_queries(7):
            response = client.get(LIST, {"limit": 1000})
        assert response.json()["count"] == count
        assert len(response.json()["results"][0]["dataset_versions"]) == 3
