"""POST /api/v1/training/statements/: xAPI statements valid, duplicate, malformed, unknown actor or activity, failing score."""

import json
import uuid
from datetime import datetime, timezone as dt_timezone

import pytest
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.staff_training import services
from compliance.staff_training.models import Assignment, Completion, XapiStatement
from tests.compliance.staff_training import builders

pytestmark = pytest.mark.django_db
URL = "/api/v1/training/statements/"
ACTIVITY = "https://lms.example.org/courses/dp-basics"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


@pytest.fixture
def lms(key_client):
    return key_client("staff_training:write", name="LMS")


@pytest.fixture
def ann():
    builders.course("dp-basics", title="Data protection basics", xapi_activity_id=ACTIVITY, passing_score=80)
    person = builders.employee(email="ann.lee@example.org")
    services.sync_assignments(now=timezone.now())
    return person


def statement(**overrides):
    body = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "name": "Ann Lee", "mbox": "mailto:Ann.Lee@example.org"},
        "verb": {"id": PASSED},
        "object": {"id": ACTIVITY},
        "result": {"score": {"scaled": 0.9}, "success": True},
        "timestamp": "2026-03-02T10:15:00Z",
        "context": {"instructor": {"mbox": "mailto:teacher@example.org"}, "platform": "Moodle"},
    }
    body.update(overrides)
    return body


def post(client, body):
    return client.post(URL, data=json.dumps(body) if not isinstance(body, str) else body, content_type="application/json")


def test_a_passed_statement_records_the_completion_and_stores_no_personal_data(lms, ann):
    client, key = lms
    body = statement()

    response = post(client, body)

    assert response.status_code == 201
    assert response.json() == {
        "statement": body["id"],
        "status": "accepted",
        "duplicate": False,
        "course": "dp-basics",
        "detail": "Accepted: the completion is recorded.",
        "code": "accepted",
    }
    completion = Completion.objects.get()
    assert (completion.employee, completion.source, completion.score) == (ann, "xapi", 90)
    assert completion.completed_at == datetime(2026, 3, 2, 10, 15, tzinfo=dt_timezone.utc)
    assert Assignment.objects.get(employee=ann).status == "completed"
    stored = XapiStatement.objects.get()
    assert "actor" not in stored.raw and "instructor" not in stored.raw["context"]
    assert "ann.lee" not in json.dumps(stored.raw).lower()
    assert stored.raw["context"]["platform"] == "Moodle"
    event = AuditEvent.objects.get(action="training.statement_accepted")
    assert event.actor_id == str(key.pk)
    assert event.data["course"] == "dp-basics"


def test_the_completed_verb_and_a_raw_score_within_min_and_max_are_accepted(lms, ann):
    client, _ = lms

    response = post(client, statement(verb={"id": COMPLETED}, result={"score": {"raw": 45, "min": 0, "max": 50}}))

    assert response.status_code == 201
    assert Completion.objects.get().score == 90


def test_the_same_statement_again_is_idempotent_and_says_so(lms, ann):
    client, _ = lms
    body = statement()
    post(client, body)

    response = post(client, body)

    assert response.status_code == 200
    assert response.json()["code"] == "duplicate"
    assert response.json()["detail"].startswith(f"Statement {body['id']} was already received on ")
    assert response.json()["detail"].endswith(" and accepted; nothing changed.")
    assert Completion.objects.count() == 1
    assert XapiStatement.objects.count() == 1


def test_a_failing_score_is_stored_rejected_and_answered_422(lms, ann):
    client, _ = lms
    body = statement(result={"score": {"scaled": 0.7}})

    response = post(client, body)

    assert response.status_code == 422
    assert response.json()["code"] == "failing_score"
    assert response.json()["detail"] == "A score of 70% is below dp-basics's passing score of 80%."
    stored = XapiStatement.objects.get()
    assert (stored.status, stored.problem, stored.score) == ("rejected", "failing_score", 70)
    assert not Completion.objects.exists()
    assert AuditEvent.objects.filter(action="training.statement_rejected").count() == 1


def test_a_resubmitted_rejected_statement_is_a_conflict(lms, ann):
    client, _ = lms
    body = statement(result={"score": {"scaled": 0.5}})
    post(client, body)

    response = post(client, body)

    assert response.status_code == 409
    assert "rejected: A score of 50% is below" in response.json()["detail"]
    assert response.json()["detail"].endswith("Send a corrected statement with a new id.")


def test_a_second_statement_of_the_same_completion_is_already_recorded_not_unassigned(lms, ann):
    client, _ = lms
    assert post(client, statement()).status_code == 201

    response = post(client, statement())  # a new id, the same actor, activity and timestamp

    assert response.status_code == 422
    assert response.json()["code"] == "already_recorded"
    assert response.json()["detail"] == f"This completion of dp-basics by employee {ann.employee_number} is already recorded."
    assert Completion.objects.count() == 1


def test_a_timestamp_in_the_future_is_a_bad_field(lms, ann):
    client, _ = lms

    response = post(client, statement(timestamp="2099-01-01T00:00:00Z"))

    assert (response.status_code, response.json()["code"]) == (400, "malformed")
    assert response.json()["detail"] == "The completion time 2099-01-01 00:00 is in the future."
    assert not Completion.objects.exists()


def test_result_success_false_is_a_failing_attempt(lms, ann):
    client, _ = lms

    response = post(client, statement(result={"success": False}))

    assert (response.status_code, response.json()["code"]) == (422, "failing_score")


def test_an_unknown_actor_is_rejected(lms, ann):
    client, _ = lms

    response = post(client, statement(actor={"mbox": "mailto:nobody@example.org"}))

    assert response.status_code == 422
    assert response.json()["detail"] == "No active employee has the actor's mbox as their work email."
    assert XapiStatement.objects.get().problem == "unknown_actor"


def test_an_unknown_activity_is_rejected(lms, ann):
    client, _ = lms

    response = post(client, statement(object={"id": "https://lms.example.org/courses/other"}))

    assert response.status_code == 422
    assert response.json()["detail"] == "No course has the xAPI activity id https://lms.example.org/courses/other."


def test_another_verb_is_rejected_naming_the_accepted_ones(lms, ann):
    client, _ = lms

    response = post(client, statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"}))

    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"The verb http://adlnet.gov/expapi/verbs/attempted is not accepted; send {COMPLETED} or {PASSED}."
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("{not json", None),
        ([], "Send one statement per request, as a JSON object, not a list."),
        ("42", "The body must be one xAPI statement as a JSON object."),
        ({"actor": {}}, "The statement needs an id (a UUID), so that sending it again is harmless."),
        ({"id": "abc"}, "The statement id 'abc' is not a UUID."),
    ],
)
def test_malformed_bodies_that_cannot_be_stored_answer_400(lms, ann, body, detail):
    client, _ = lms

    response = post(client, body)

    assert response.status_code == 400
    if detail:
        assert response.json()["detail"] == detail
    assert not XapiStatement.objects.exists()


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"actor": {"name": "Ann"}}, "actor.mbox is required, as mailto:name@example.com."),
        ({"actor": {"mbox": "ann@example.org"}}, "actor.mbox must start with mailto:."),
        ({"verb": "passed"}, "verb.id is required."),
        ({"object": {}}, "object.id (the activity id) is required."),
        ({"result": {"score": {"scaled": 3}}}, "result.score.scaled must be between -1 and 1."),
        ({"result": {"score": {"scaled": "lots"}}}, "result.score.scaled must be a number."),
        ({"timestamp": "yesterday"}, "timestamp must be an ISO 8601 date-time such as 2026-03-31T14:05:00Z."),
    ],
)
def test_statements_with_missing_or_bad_fields_are_stored_rejected_and_answer_400(lms, ann, change, detail):
    client, _ = lms

    response = post(client, statement(**change))

    assert response.status_code == 400
    assert response.json()["detail"] == detail
    assert XapiStatement.objects.get().problem == "malformed"


def test_a_key_without_the_staff_training_scope_is_refused(key_client, ann):
    client, _ = key_client("training:write")

    response = post(client, statement())

    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the scope staff_training:write."
    assert not XapiStatement.objects.exists()


def test_a_signed_in_session_is_refused(client_for, ann):
    from compliance.accounts.roles import Role

    client, _ = client_for(Role.COMPLIANCE_MANAGER)

    response = post(client, statement())

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Statements come from the learning system with an API key")


def test_the_schema_documents_the_endpoint(key_client):
    client, _ = key_client("consent:read")

    document = client.get("/api/v1/schema/?format=json").json()

    operation = document["paths"]["/api/v1/training/statements/"]["post"]
    assert {"201", "200", "400", "409", "422"} <= set(operation["responses"])
