"""POST/GET /api/v1/models/ and GET/PATCH /api/v1/models/{slug}/: keys, engineers' grants, bad input, audit, queries."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from compliance.accounts.roles import Role
from datasets.models import MLModel, MLModelUserObjectPermission
from datasets.services import create_model, flag_training_run, register_training_run
from tests.conftest import verified_client
from tests.datasets.api.conftest import errors_of, events, send

pytestmark = pytest.mark.django_db

LIST = "/api/v1/models/"
NEITHER_SCOPE = "This API key lacks the scope registry:write or training:write."


def detail(slug: str) -> str:
    return f"/api/v1/models/{slug}/"



@pytest.mark.parametrize("scope", ["registry:write", "training:write"])
def test_a_key_with_either_scope_registers_a_model(key_client, scope):
    client, key = key_client(scope)
    response = send(client, "post", LIST, {"name": "Churn predictor", "intended_use": "Retention offers.", "deployment_status": "staging"})
    assert response.status_code == 201, response.content
    assert response["Location"] == "/api/v1/models/churn-predictor/"
    body = response.json()
    assert {key: body[key] for key in ("slug", "name", "owner", "intended_use", "deployment_status")} == {
        "slug": "churn-predictor",
        "name": "Churn predictor",
        "owner": None,
        "intended_use": "Retention offers.",
        "deployment_status": "staging",
    }
    [event] = events("ml_model.created")
    assert (event.actor_type, event.actor_id) == ("api_key", str(key.pk))


def test_a_key_with_neither_scope_reads_but_cannot_write(key_client, model):
    client, _ = key_client("consent:read", "reports:read")
    assert client.get(LIST).json()["count"] == 1
    assert client.get(detail(model.slug)).json()["slug"] == "churn-predictor"
    for method, url in (("post", LIST), ("patch", detail(model.slug))):
        response = send(client, method, url, {"name": "x"})
        assert response.status_code == 403
        assert response.json() == {"detail": NEITHER_SCOPE, "code": "permission_denied"}
    assert [event.data["reason"] for event in events("auth.permission_denied")] == [NEITHER_SCOPE] * 2


def test_the_owner_is_an_ml_engineer_and_is_granted_the_model(writer, engineer, steward):
    client, _ = writer
    body = send(client, "post", LIST, {"name": "Fraud", "owner": "engineer"}).json()
    assert body["owner"] == "engineer"
    assert verified_client(engineer).get(detail("fraud")).status_code == 200
    assert errors_of(send(client, "post", LIST, {"name": "Other", "owner": "steward"})) == {
        "owner": ["The owner must be an ML engineer; steward is not."]
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "x", "deployment_status": "live"}, {"deployment_status": [
            '"live" is not a valid code. Use one of: development, staging, production, retired.'
        ]}),
        ({"name": "x", "slug": "Bad Slug"}, {"slug": ["'Bad Slug' is not a valid slug: use 1 to 100 lower-case letters, digits and hyphens."]}),
        ({"name": "x", "owner": "ghost"}, {"owner": ["No user has the username ghost."]}),
        ({"name": ["x"]}, {"name": ["Not a valid string."]}),
        ({"name": "x", "runs": []}, {"runs": [
            "Unknown field. The fields accepted here are: slug, name, owner, intended_use, deployment_status."
        ]}),
    ],
)
def test_bad_models_are_a_400_naming_each_field(writer, body, errors):
    client, _ = writer
    assert errors_of(send(client, "post", LIST, body)) == errors
    assert not MLModel.objects.exists()


def test_a_taken_slug_is_refused(writer, model):
    client, _ = writer
    assert errors_of(send(client, "post", LIST, {"name": "x", "slug": model.slug})) == {
        "slug": ["A model with the slug 'churn-predictor' already exists."]
    }


def test_a_key_changes_a_model(writer, model):
    client, key = writer
    response = send(client, "patch", detail(model.slug), {"deployment_status": "production"})
    assert response.status_code == 200 and response.json()["deployment_status"] == "production"
    [event] = events("ml_model.updated")
    assert (event.actor_type, event.data["changes"]) == (
        "api_key",
        {"deployment_status": {"from": "development", "to": "production"}},
    )
    assert errors_of(send(client, "patch", detail(model.slug), {"slug": "renamed"})) == {
        "slug": ["This field cannot be set: leave it out."]
    }


def test_the_list_filters(writer, dataset, make_version):
    client, _ = writer
    create_model(actor=None, name="Alpha", deployment_status="production")
    create_model(actor=None, name="Beta")
    gamma = create_model(actor=None, name="Gamma")
    run = register_training_run(
        actor=None, model=gamma, dataset_versions=[make_version(dataset, "v1")], started_at=timezone.now()
    )
    flag_training_run(actor=None, run=run, status="possibly_affected", erasure_reference="ER-1")

    def slugs(**query):
        response = client.get(LIST, query)
        assert response.status_code == 200, response.content
        return [row["slug"] for row in response.json()["results"]]

    assert slugs() == ["alpha", "beta", "gamma"]
    assert slugs(search="bet") == ["beta"]
    assert slugs(deployment_status="production") == ["alpha"]
    assert slugs(flagged_only="true") == ["gamma"]
    assert errors_of(client.get(LIST, {"deployment_status": "live"})) == {
        "deployment_status": ['"live" is not a valid code. Use one of: development, staging, production, retired.']
    }


def test_an_engineer_sees_and_changes_only_granted_models(engineer, other_engineer, model):
    hidden = create_model(actor=other_engineer, name="Other team's model")
    client = verified_client(engineer)
    assert [row["slug"] for row in client.get(LIST).json()["results"]] == ["churn-predictor"]
    assert client.get(detail(hidden.slug)).json() == {"detail": "No such model.", "code": "not_found"}
    assert send(client, "patch", detail(hidden.slug), {"name": "Mine"}).status_code == 404
    assert send(client, "patch", detail(model.slug), {"intended_use": "Churn offers."}).status_code == 200

    created = send(client, "post", LIST, {"name": "Recommender"}).json()
    assert created["owner"] == "engineer"


def test_the_dpo_reads_every_model_but_registers_none(client_for, model):
    client, _ = client_for(Role.DPO)
    assert client.get(detail(model.slug)).status_code == 200
    response = send(client, "post", LIST, {"name": "x"})
    assert response.status_code == 403 and response.json()["detail"] == "You may not register ML models."
    response = send(client, "patch", detail(model.slug), {"name": "x"})
    assert response.status_code == 403 and response.json()["detail"] == "You may not edit model 'churn-predictor'."


@pytest.mark.parametrize("role", [Role.DATA_STEWARD, Role.EMPLOYEE])
def test_roles_outside_the_model_registry_are_refused(client_for, role):
    client, _ = client_for(role)
    response = client.get(LIST)
    assert response.status_code == 403
    assert response.json()["detail"] == "The model registry is for ML engineers, the DPO, compliance managers and auditors."


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize("who", ["key", "engineer"])
def test_the_list_takes_the_same_queries_at_10_and_1000_models(count, who, writer, engineer, django_assert_max_num_queries):
    MLModel.objects.bulk_create([MLModel(name=f"Model {n:04d}", slug=f"model-{n:04d}", owner=engineer) for n in range(count)])
    view = Permission.objects.get(codename="view_mlmodel")
    MLModelUserObjectPermission.objects.bulk_create(
        [MLModelUserObjectPermission(user=engineer, permission=view, content_object=row) for row in MLModel.objects.all()]
    )
    client = writer[0] if who == "key" else verified_client(engineer)
    with django_assert_max_num_queries(10):
        response = client.get(LIST, {"limit": 1000})
    assert response.json()["count"] == count
