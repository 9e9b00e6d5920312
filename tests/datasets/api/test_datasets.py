"""POST/GET /api/v1/datasets/ and GET/PATCH /api/v1/datasets/{slug}/: keys, sessions, codes, bad input, audit, queries."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from compliance.accounts.roles import Role
from datasets.models import Dataset, DatasetUserObjectPermission
from datasets.services import archive_dataset, grant_dataset_access
from tests.conftest import verified_client
from tests.datasets.api.conftest import errors_of, events, send

pytestmark = pytest.mark.django_db

LIST = "/api/v1/datasets/"


def detail(slug: str) -> str:
    return f"/api/v1/datasets/{slug}/"



# --- registering -----------------------------------------------------------------------------


def test_a_key_registers_a_dataset_from_its_name_alone(writer):
    client, key = writer
    response = send(client, "post", LIST, {"name": "Web analytics events"})

    assert response.status_code == 201
    assert response["Location"] == "/api/v1/datasets/web-analytics-events/"
    body = response.json()
    assert body["slug"] == "web-analytics-events"
    assert body["owner"] is None and body["status"] == "active"
    assert body["data_categories"] == [] and body["sensitivity"] == "internal"
    [event] = events("dataset.created")
    assert (event.actor_type, event.actor_id, event.actor_label) == ("api_key", str(key.pk), str(key))
    assert (event.target_type, event.target_id) == ("datasets.dataset", str(Dataset.objects.get().pk))
    assert event.data["slug"] == "web-analytics-events"


def test_every_field_takes_its_codes(writer, steward):
    client, _ = writer
    response = send(
        client,
        "post",
        LIST,
        {
            "name": "Patients",
            "slug": "patients-eu",
            "description": "Hospital records.",
            "owner": "steward",
            "data_categories": ["health", "contact", "health"],
            "sensitivity": "restricted",
            "subject_jurisdictions": ["de", "US"],
            "lawful_bases": ["vital_interests", "consent"],
            "purposes": ["care", "research"],
            "retention_days": 3650,
            "retention_action": "anonymise",
            "source": "Hospital EHR",
            "collection_channel": "admission desk",
            "encryption_at_rest": "AES-256",
            "encryption_in_transit": True,
            "anonymisation_technique": "differential_privacy",
            "anonymisation_epsilon": 2.5,
            "anonymisation_delta": 1e-6,
            "privacy_budget_epsilon": 10,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # Codes come back distinct and in the contract's order; regulations derived (GDPR for DE, HIPAA for US health).
    assert body["data_categories"] == ["contact", "health"]
    assert body["lawful_bases"] == ["consent", "vital_interests"]
    assert body["subject_jurisdictions"] == ["DE", "US"]
    assert body["regulations"] == ["gdpr", "hipaa"] and body["regulations_override"] is False
    assert body["owner"] == "steward"
    assert {key: body[key] for key in ("sensitivity", "retention_days", "retention_action", "anonymisation_technique")} == {
        "sensitivity": "restricted",
        "retention_days": 3650,
        "retention_action": "anonymise",
        "anonymisation_technique": "differential_privacy",
    }
    assert (body["anonymisation_epsilon"], body["anonymisation_delta"], body["privacy_budget_epsilon"]) == (2.5, 1e-6, 10.0)
    # The owner now sees it through their session.
    assert verified_client(steward).get(detail("patients-eu")).status_code == 200


def test_regulations_given_are_kept_as_set(writer):
    client, _ = writer
    body = send(client, "post", LIST, {"name": "Leads", "data_categories": ["contact"], "regulations": ["ccpa"]}).json()
    assert body["regulations"] == ["ccpa"] and body["regulations_override"] is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "data_categories",
            ["contact", "dna", "shoe_size"],
            "Unknown data categories: dna, shoe_size. Use codes from: contact, identifiers, health, financial,"
            " biometric, location, behavioural, children, special_category.",
        ),
        ("sensitivity", "secret", '"secret" is not a valid code. Use one of: public, internal, confidential, restricted.'),
        ("regulations", ["gdpr", "lgpd"], "Unknown regulations: lgpd. Use codes from: gdpr, hipaa, ccpa."),
        (
            "lawful_bases",
            ["consent", "because"],
            "Unknown lawful bases: because. Use codes from: consent, contract, legal_obligation, vital_interests,"
            " public_task, legitimate_interests.",
        ),
        ("retention_action", "shred", '"shred" is not a valid code. Use one of: delete, anonymise, review.'),
        (
            "anonymisation_technique",
            "hashing",
            '"hashing" is not a valid code. Use one of: none, pseudonymised, masked, k_anonymity, differential_privacy.',
        ),
    ],
)
def test_an_unknown_code_is_refused_naming_the_field_and_the_valid_codes(writer, field, value, message):
    client, _ = writer
    response = send(client, "post", LIST, {"name": "Leads", field: value})
    assert errors_of(response) == {field: [message]}
    assert not Dataset.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "  "}, {"name": ["This field may not be blank."]}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"name": "x", "data_categories": "health"}, {"data_categories": ['Expected a list of items but got type "str".']}),
        ({"name": "x", "data_categories": {"health": True}}, {"data_categories": ['Expected a list of items but got type "dict".']}),
        ({"name": "x", "retention_days": "a year"}, {"retention_days": ["A valid integer is required."]}),
        ({"name": "x", "retention_days": 0}, {"retention_days": ["The retention period in days must be at least 1."]}),
        ({"name": "x", "encryption_in_transit": "perhaps"}, {"encryption_in_transit": ["Must be a valid boolean."]}),
        ({"name": "x", "privacy_budget_epsilon": "lots"}, {"privacy_budget_epsilon": ["A valid number is required."]}),
        ({"name": "x", "purposes": ["Marketing!"]}, {"purposes": [
            "Not a purpose code: Marketing!. Purpose codes are lower-case letters, digits, hyphens and underscores,"
            " for example marketing or model-training."
        ]}),
        ({"name": "x", "subject_jurisdictions": ["Europe"]}, {"subject_jurisdictions": [
            "Not a jurisdiction code: EUROPE. Use ISO country codes (GB, DE, US) or US-CA for a US state."
        ]}),
        ({"name": "x", "anonymisation_technique": "k_anonymity"}, {"anonymisation_k": [
            "k-anonymity needs k, the smallest group size (2 or more)."
        ]}),
        ({"name": "x", "slug": "Not A Slug"}, {"slug": [
            "'Not A Slug' is not a valid slug: use 1 to 100 lower-case letters, digits and hyphens."
        ]}),
        ({"name": "x", "owner": "nobody"}, {"owner": ["No user has the username nobody."]}),
        ({"name": "x", "owner": ["steward"]}, {"owner": ["No user has the username ['steward']."]}),
    ],
)
def test_bad_input_is_a_400_naming_each_field(writer, body, errors):
    client, _ = writer
    assert errors_of(send(client, "post", LIST, body)) == errors
    assert not events("dataset.created")


def test_unknown_and_read_only_fields_are_refused_not_ignored(writer):
    client, _ = writer
    errors = errors_of(send(client, "post", LIST, {"name": "x", "data_category": ["contact"], "status": "archived"}))
    assert errors["status"] == ["This field cannot be set: leave it out."]
    [unknown] = errors["data_category"]
    assert unknown.startswith("Unknown field. The fields accepted here are: slug, name, description, owner, data_categories,")


def test_a_body_that_is_not_an_object_is_refused(writer):
    client, _ = writer
    assert errors_of(send(client, "post", LIST, [{"name": "x"}])) == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    response = client.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    response = client.post(LIST, {"name": "x"})  # a form post
    assert response.status_code == 415


def test_the_owner_must_be_a_data_steward(writer, engineer):
    client, _ = writer
    assert errors_of(send(client, "post", LIST, {"name": "x", "owner": "engineer"})) == {
        "owner": ["The owner must be a data steward; engineer is not."]
    }


def test_a_taken_slug_is_refused(writer, dataset):
    client, _ = writer
    assert errors_of(send(client, "post", LIST, {"name": "Other", "slug": dataset.slug})) == {
        "slug": ["A dataset with the slug 'shop-customers' already exists."]
    }
    # Without a slug, one is derived that is free.
    assert send(client, "post", LIST, {"name": "Shop customers"}).json()["slug"] == "shop-customers-2"


# --- scopes ---------------------------------------------------------------------------------------


def test_a_key_without_registry_write_reads_but_cannot_write(key_client, dataset):
    client, _ = key_client("consent:read", "training:write")
    assert client.get(LIST).status_code == 200
    assert client.get(detail(dataset.slug)).json()["slug"] == dataset.slug
    for method, url in (("post", LIST), ("patch", detail(dataset.slug))):
        response = send(client, method, url, {"name": "x"})
        assert response.status_code == 403
        assert response.json() == {"detail": "This API key lacks the scope registry:write.", "code": "permission_denied"}
    assert Dataset.objects.get().name == "Shop customers"
    assert [event.data["reason"] for event in events("auth.permission_denied")] == [
        "This API key lacks the scope registry:write."
    ] * 2


def test_put_and_delete_are_not_methods_of_the_registry(writer, client_for, dataset):
    dpo_client, _ = client_for(Role.DPO)
    for client in (writer[0], dpo_client):
        for method in ("put", "delete"):
            response = getattr(client, method)(detail(dataset.slug), {}, content_type="application/json")
            assert response.status_code == 405
            assert response.json()["detail"] == f'Method "{method.upper()}" not allowed.'


# --- listing ---------------------------------------------------------------------------------------


def test_the_list_filters_sorts_and_pages(writer, make_dataset, steward):
    client, _ = writer
    make_dataset("Zeta", data_categories=["health"], sensitivity="restricted", subject_jurisdictions=["US"])
    make_dataset("Alpha", data_categories=["contact"], retention_days=30, lawful_bases=["consent"])
    archive_dataset(actor=None, dataset=make_dataset("Archived", data_categories=["health"]))

    def slugs(**query):
        response = client.get(LIST, query)
        assert response.status_code == 200, response.content
        return [row["slug"] for row in response.json()["results"]]

    assert slugs() == ["alpha", "zeta"]
    assert slugs(status="all") == ["alpha", "archived", "zeta"]
    assert slugs(status="archived") == ["archived"]
    assert slugs(category="health") == ["zeta"]
    assert slugs(regulation="hipaa") == ["zeta"]
    assert slugs(sensitivity="restricted") == ["zeta"]
    assert slugs(missing="retention") == ["zeta"]
    assert slugs(search="alp") == ["alpha"]
    assert slugs(sort="-name") == ["zeta", "alpha"]

    page = client.get(LIST, {"limit": 1, "offset": 1, "status": "all"}).json()
    assert page["count"] == 3 and [row["slug"] for row in page["results"]] == ["archived"]
    assert page["next"].endswith("?limit=1&offset=2&status=all") and page["previous"].endswith("?limit=1&status=all")


def test_the_page_size_is_capped_at_1000(writer, make_dataset):
    client, _ = writer
    make_dataset("Only")
    page = client.get(LIST, {"limit": 5000}).json()
    assert page["count"] == 1 and page["next"] is None
    assert client.get(LIST, {"limit": "many", "offset": "-3"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"category": "dna"}, {"category": [
            '"dna" is not a valid code. Use one of: contact, identifiers, health, financial, biometric, location,'
            " behavioural, children, special_category."
        ]}),
        ({"status": "deleted"}, {"status": ['"deleted" is not a valid choice.']}),
        ({"sort": "size"}, {"sort": ['"size" is not a valid choice.']}),
        ({"missing": "everything"}, {"missing": ['"everything" is not a valid choice.']}),
    ],
)
def test_a_wrong_filter_is_refused_rather_than_ignored(writer, query, errors):
    client, _ = writer
    assert errors_of(client.get(LIST, query)) == errors


# --- one dataset -----------------------------------------------------------------------------------


def test_an_unknown_dataset_is_a_json_404(writer):
    client, _ = writer
    response = client.get(detail("no-such-thing"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such dataset.", "code": "not_found"}


def test_a_key_changes_a_dataset_and_the_audit_names_the_key(writer, dataset):
    client, key = writer
    response = send(
        client, "patch", detail(dataset.slug), {"sensitivity": "confidential", "lawful_bases": ["contract"], "retention_days": 90}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["sensitivity"], body["lawful_bases"], body["retention_days"]) == ("confidential", ["contract"], 90)
    assert body["name"] == "Shop customers" and body["owner"] == "steward"
    [event] = events("dataset.updated")
    assert (event.actor_type, event.actor_id) == ("api_key", str(key.pk))
    assert event.data["changes"] == {
        "sensitivity": {"from": "internal", "to": "confidential"},
        "lawful_bases": {"from": [], "to": ["contract"]},
        "retention_days": {"from": None, "to": 90},
    }


def test_patching_regulations_overrides_them_until_switched_back(writer, dataset):
    client, _ = writer
    body = send(client, "patch", detail(dataset.slug), {"regulations": ["gdpr", "ccpa"]}).json()
    assert body["regulations"] == ["gdpr", "ccpa"] and body["regulations_override"] is True
    body = send(client, "patch", detail(dataset.slug), {"regulations_override": False}).json()
    assert body["regulations"] == ["gdpr"] and body["regulations_override"] is False


def test_the_slug_is_permanent(writer, dataset):
    client, _ = writer
    assert errors_of(send(client, "patch", detail(dataset.slug), {"slug": "renamed"})) == {
        "slug": ["This field cannot be set: leave it out."]
    }


def test_patch_validates_like_post(writer, dataset):
    client, _ = writer
    assert errors_of(send(client, "patch", detail(dataset.slug), {"name": "", "data_categories": ["dna"]})) == {
        "name": ["This field may not be blank."],
        "data_categories": [
            "Unknown data categories: dna. Use codes from: contact, identifiers, health, financial, biometric,"
            " location, behavioural, children, special_category."
        ],
    }
    assert not events("dataset.updated")


def test_a_patch_that_changes_nothing_records_nothing(writer, dataset):
    client, _ = writer
    assert send(client, "patch", detail(dataset.slug), {"sensitivity": "internal"}).status_code == 200
    assert not events("dataset.updated")


# --- browser sessions ------------------------------------------------------------------------------


def test_a_dpo_session_writes_with_the_csrf_token(client_for):
    client, dpo = client_for(Role.DPO)
    client.handler.enforce_csrf_checks = True
    refused = send(client, "post", LIST, {"name": "Payroll"})
    assert refused.status_code == 403 and refused.json()["detail"].startswith("CSRF Failed")

    token = client.get("/accounts/security/").cookies["csrftoken"].value
    response = send(client, "post", LIST, {"name": "Payroll"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    [event] = events("dataset.created")
    assert (event.actor_type, event.actor_id) == ("user", str(dpo.pk))


def test_a_steward_session_sees_and_changes_only_granted_datasets(make_dataset, steward, other_steward, dpo):
    own = make_dataset("Own", owner=steward)
    shared = make_dataset("Shared read only", owner=other_steward)
    grant_dataset_access(actor=dpo, dataset=shared, user=steward, level="view")
    hidden = make_dataset("Hidden", owner=other_steward)
    client = verified_client(steward)

    assert [row["slug"] for row in client.get(LIST).json()["results"]] == ["own", "shared-read-only"]
    assert client.get(detail(hidden.slug)).status_code == 404
    assert send(client, "patch", detail(hidden.slug), {"name": "Mine now"}).status_code == 404

    assert send(client, "patch", detail(own.slug), {"description": "Kept current."}).status_code == 200
    refused = send(client, "patch", detail(shared.slug), {"description": "Mine"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You may not edit dataset 'shared-read-only'.", "code": "permission_denied"}


def test_a_steward_registering_a_dataset_owns_it(make_user):
    steward = make_user(Role.DATA_STEWARD, username="sam")
    body = send(verified_client(steward), "post", LIST, {"name": "Newsletter"}).json()
    assert body["owner"] == "sam"


@pytest.mark.parametrize("role", [Role.ML_ENGINEER, Role.EMPLOYEE])
def test_roles_outside_the_registry_are_refused_the_list(client_for, role):
    client, _ = client_for(role)
    for response in (client.get(LIST), send(client, "post", LIST, {"name": "x"})):
        assert response.status_code == 403
        assert response.json()["detail"] == "The dataset registry is for data stewards, the DPO, compliance managers and auditors."


def test_an_auditor_reads_but_cannot_register(client_for, dataset):
    client, _ = client_for(Role.AUDITOR, access_expires_on="2100-01-01")
    assert client.get(detail(dataset.slug)).status_code == 200
    response = send(client, "post", LIST, {"name": "x"})
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not register datasets."
    response = send(client, "patch", detail(dataset.slug), {"name": "x"})
    assert response.json()["detail"] == "You may not edit dataset 'shop-customers'."


def test_anonymous_callers_get_401(dataset):
    assert Client().get(LIST).status_code == 401
    assert send(Client(), "post", LIST, {"name": "x"}).status_code == 401


# --- queries -----------------------------------------------------------------------------------------


def _many_datasets(count: int, steward) -> None:
    Dataset.objects.bulk_create(
        [Dataset(name=f"Dataset {n:04d}", slug=f"dataset-{n:04d}", owner=steward, data_categories=["contact"]) for n in range(count)]
    )
    view = Permission.objects.get(codename="view_dataset")
    DatasetUserObjectPermission.objects.bulk_create(
        [DatasetUserObjectPermission(user=steward, permission=view, content_object=row) for row in Dataset.objects.all()]
    )


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize("who", ["key", "dpo", "steward"])
def test_the_list_takes_the_same_queries_at_10_and_1000_datasets(
    count, who, writer, dpo, steward, django_assert_max_num_queries
):
    _many_datasets(count, steward)
    client = {"key": writer[0], "dpo": verified_client(dpo), "steward": verified_client(steward)}[who]
    # A session costs its own five queries (session, user, device, permissions) and a save; a key two.
    with django_assert_max_num_queries(10):
        response = client.get(LIST, {"limit": 1000})
    assert response.json()["count"] == count
