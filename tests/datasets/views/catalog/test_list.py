"""The dataset list: who sees it, search, filters, sorting, pagination, gap badges, constant queries."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.accounts.roles import Role
from datasets.models import Dataset, DatasetUserObjectPermission
from datasets.services import add_storage_location, archive_dataset, grant_dataset_access

pytestmark = pytest.mark.django_db

LIST = reverse("datasets:list")


def names_on(response) -> list[str]:
    return [row.dataset.name for row in response.context["rows"]]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.ML_ENGINEER])
def test_employees_and_engineers_are_refused_the_list(role, client_for, make_dataset):
    make_dataset("Shop customers")
    client, _ = client_for(role)
    response = client.get(LIST)
    assert response.status_code == 403
    assert "Shop customers" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.DPO, Role.COMPLIANCE_MANAGER, Role.AUDITOR])
def test_oversight_roles_see_every_dataset(role, client_for, make_dataset, steward, other_steward):
    make_dataset("Mine", owner=steward)
    make_dataset("Theirs", owner=other_steward)
    make_dataset("Nobody's")
    client, _ = client_for(role)
    assert names_on(client.get(LIST)) == ["Mine", "Nobody's", "Theirs"]


def test_a_steward_sees_owned_and_granted_datasets_only(client_of, make_dataset, steward, other_steward):
    make_dataset("Mine", owner=steward)
    granted = make_dataset("Granted", owner=other_steward)
    make_dataset("Not shared", owner=other_steward)
    grant_dataset_access(actor=other_steward, dataset=granted, user=steward, level="view")

    response = client_of(steward).get(LIST)

    assert names_on(response) == ["Granted", "Mine"]
    assert "Not shared" not in response.content.decode()


def test_a_steward_with_nothing_granted_is_told_so(client_of, steward, make_user):
    lonely = make_user(Role.DATA_STEWARD)
    response = client_of(lonely).get(LIST)
    assert response.status_code == 200
    # A steward may register datasets, so the empty list invites them to.
    assert "No datasets yet: register one, or import a catalog." in response.content.decode()


def test_the_new_dataset_and_import_buttons_show_only_to_those_who_may_register(client_for):
    auditor_page = client_for(Role.AUDITOR)[0].get(LIST).content.decode()
    dpo_page = client_for(Role.DPO)[0].get(LIST).content.decode()
    for page in (auditor_page, dpo_page):
        assert f'href="{reverse("datasets:export")}"' in page
    assert "New dataset" not in auditor_page and f'href="{reverse("datasets:import")}"' not in auditor_page
    assert "New dataset" in dpo_page and f'href="{reverse("datasets:import")}"' in dpo_page


def test_each_row_shows_owner_sensitivity_categories_regulations_and_counts(client_for, make_dataset, steward):
    dataset = make_dataset(
        "Patients",
        owner=steward,
        data_categories=["health", "contact"],
        sensitivity="restricted",
        subject_jurisdictions=["US", "DE"],
        lawful_bases=["consent"],
        retention_days=365,
        encryption_at_rest="AES-256",
        encryption_in_transit=True,
    )
    add_storage_location(
        actor=steward, dataset=dataset, name="db", kind="postgresql", url="postgresql://a:b@h/db", table="t", subject_key="email"
    )
    page = client_for(Role.DPO)[0].get(LIST).content.decode()

    for text in ("Patients", "steward", "Restricted", "Contact details, Health / PHI", "GDPR, HIPAA", "365 days", "complete"):
        assert text in page
    row = client_for(Role.DPO)[0].get(LIST).context["rows"][0]
    assert (row.dataset.location_count, row.dataset.version_count, row.gaps) == (1, 0, [])


def test_gaps_are_flagged_with_badges(client_for, make_dataset):
    make_dataset("Bare")
    response = client_for(Role.DPO)[0].get(LIST)
    page = response.content.decode()
    assert response.context["rows"][0].gaps == ["no owner", "no retention", "no lawful basis", "not encrypted"]
    for badge in ("no owner", "no retention", "no lawful basis", "not encrypted"):
        assert f'<span class="badge badge-gap">{badge}</span>' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "patient"}, ["Patients"]),
        ({"q": "PATIENTS"}, ["Patients"]),
        ({"category": "health"}, ["Patients"]),
        ({"sensitivity": "public"}, ["Newsletter"]),
        ({"regulation": "ccpa"}, ["Newsletter"]),
        ({"missing": "owner"}, ["Newsletter"]),
        ({"missing": "retention"}, ["Newsletter"]),
        ({"missing": "lawful_basis"}, ["Newsletter"]),
        ({"missing": "encryption"}, ["Newsletter"]),
        ({"status": "archived"}, ["Old"]),
        ({"status": "all"}, ["Newsletter", "Old", "Patients"]),
        ({}, ["Newsletter", "Patients"]),
    ],
)
def test_search_and_filters(query, expected, client_for, make_dataset, steward):
    make_dataset(
        "Patients",
        owner=steward,
        data_categories=["health"],
        sensitivity="restricted",
        lawful_bases=["consent"],
        retention_days=30,
        encryption_at_rest="AES-256",
        encryption_in_transit=True,
        description="Clinic records",
    )
    make_dataset("Newsletter", sensitivity="public", subject_jurisdictions=["US-CA"])
    archive_dataset(actor=steward, dataset=make_dataset("Old", owner=steward))
    assert names_on(client_for(Role.DPO)[0].get(LIST, query)) == expected


def test_the_owner_filter(client_for, make_dataset, steward, other_steward):
    make_dataset("Mine", owner=steward)
    make_dataset("Theirs", owner=other_steward)
    assert names_on(client_for(Role.DPO)[0].get(LIST, {"owner": other_steward.pk})) == ["Theirs"]


def test_a_bad_filter_value_is_explained_not_a_server_error(client_for, make_dataset):
    make_dataset("Shop customers")
    response = client_for(Role.DPO)[0].get(LIST, {"sensitivity": "secret", "owner": "x", "sort": "password"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "That choice is not in the list: pick one of the options." in page
    assert "The list cannot be sorted that way: use the column headings." in page
    assert "No datasets are shown until the filters above are corrected." in page
    assert response.context["page"] is None


def test_column_headings_sort_and_toggle_the_direction(client_for, make_dataset):
    make_dataset("B", retention_days=10, sensitivity="restricted")
    make_dataset("A", retention_days=20, sensitivity="public")
    make_dataset("C", sensitivity="internal")
    client = client_for(Role.DPO)[0]

    assert names_on(client.get(LIST)) == ["A", "B", "C"]
    assert names_on(client.get(LIST, {"sort": "-name"})) == ["C", "B", "A"]
    assert names_on(client.get(LIST, {"sort": "retention"})) == ["B", "A", "C"]
    assert names_on(client.get(LIST, {"sort": "-sensitivity"})) == ["B", "C", "A"]

    response = client.get(LIST, {"sort": "name", "q": "a"})
    headings = {heading["label"]: heading for heading in response.context["headings"]}
    assert headings["Name"] == {"label": "Name", "url": "?q=a&sort=-name", "direction": "ascending"}
    assert headings["Owner"]["url"] == "?q=a&sort=owner" and headings["Owner"]["direction"] == ""
    assert 'aria-sort="ascending"' in response.content.decode()


def _many_datasets(count: int, owner) -> None:
    Dataset.objects.bulk_create(
        Dataset(name=f"Dataset {number:04d}", slug=f"dataset-{number:04d}", owner=owner, data_categories=["contact"], regulations=["gdpr"])
        for number in range(count)
    )
    view = Permission.objects.get(codename="view_dataset")
    DatasetUserObjectPermission.objects.bulk_create(
        DatasetUserObjectPermission(user=owner, permission=view, content_object=dataset) for dataset in Dataset.objects.all()
    )


def test_fifty_to_a_page_with_filters_kept_in_the_page_links(client_for, steward):
    _many_datasets(120, steward)
    client = client_for(Role.DPO)[0]

    first = client.get(LIST, {"category": "contact"})
    third = client.get(LIST, {"category": "contact", "page": 3})

    assert len(first.context["rows"]) == 50 and len(third.context["rows"]) == 20
    assert "120 datasets" in first.content.decode()
    assert 'href="?category=contact&amp;page=2"' in first.content.decode()
    # A page past the end shows the last page rather than an error.
    assert client.get(LIST, {"page": 99}).context["page"].number == 3
    assert client.get(LIST, {"page": "x"}).context["page"].number == 1


def _queries_for_list(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"sort": "-updated", "category": "contact"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", [Role.DATA_STEWARD, Role.DPO])
def test_the_list_takes_the_same_queries_at_10_and_1000_datasets(who, make_user, client_of, django_assert_max_num_queries):
    counts = {}
    for count in (10, 1000):
        Dataset.objects.all().delete()
        owner = make_user(Role.DATA_STEWARD)
        _many_datasets(count, owner)
        viewer = owner if who == Role.DATA_STEWARD else make_user(Role.DPO)
        client = client_of(viewer)
        client.get(LIST)  # warms the content-type cache, as any earlier request would
        # 12 before staff training, plus the shell's training-roster lookup (My training, the gate).
        with django_assert_max_num_queries(13):
            counts[count] = _queries_for_list(client)
    assert counts[10] == counts[1000]
