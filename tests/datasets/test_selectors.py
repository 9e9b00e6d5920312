"""Reads of the registry: who sees what, filters and sorting, lineage, ledgers, constant query counts."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.utils import timezone

from compliance.accounts.models import User
from compliance.accounts.roles import Role
from datasets.models import Dataset, DatasetUserObjectPermission
from datasets.selectors import (
    DatasetFilters,
    ModelFilters,
    dataset_for_user,
    dataset_grants,
    datasets_for_user,
    lineage_graph,
    location_for_user,
    model_for_user,
    models_for_user,
    privacy_budget_ledger,
    run_for_user,
    runs_for_model,
    runs_using_versions,
    share_link_for_user,
    version_for_user,
    versions_for_dataset,
    versions_matching_subject,
)
from datasets.services import (
    ParentLink,
    add_storage_location,
    create_model,
    create_share_link,
    grant_dataset_access,
    register_training_run,
)

pytestmark = pytest.mark.django_db


def slugs(queryset):
    return [dataset.slug for dataset in queryset]


def fresh(user):
    # A new instance: no permission cache carried over from earlier calls.
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", [Role.DPO, Role.COMPLIANCE_MANAGER, Role.AUDITOR])
def test_oversight_roles_see_every_dataset_and_model(role, make_user, make_dataset, steward, other_steward, engineer):
    make_dataset("Mine", owner=steward)
    make_dataset("Theirs", owner=other_steward)
    make_dataset("Nobody's")
    create_model(actor=engineer, name="Model")
    viewer = make_user(role)

    assert slugs(datasets_for_user(user=viewer)) == ["mine", "nobodys", "theirs"]
    assert [model.slug for model in models_for_user(user=viewer)] == ["model"]


def test_a_steward_sees_only_granted_datasets_and_cannot_guess_another(make_dataset, steward, other_steward):
    mine = make_dataset("Mine", owner=steward)
    make_dataset("Theirs", owner=other_steward)
    shared = make_dataset("Shared", owner=other_steward)
    grant_dataset_access(actor=other_steward, dataset=shared, user=steward, level="view")

    assert slugs(datasets_for_user(user=steward)) == ["mine", "shared"]
    assert dataset_for_user(user=steward, slug="mine") == mine
    with pytest.raises(Http404) as forbidden:
        dataset_for_user(user=steward, slug="theirs")
    with pytest.raises(Http404) as missing:
        dataset_for_user(user=steward, slug="no-such-dataset")
    assert str(forbidden.value) == str(missing.value) == "No such dataset."


def test_employees_and_anonymous_visitors_see_nothing(make_user, make_dataset):
    from django.contrib.auth.models import AnonymousUser

    make_dataset("Mine")
    assert slugs(datasets_for_user(user=make_user(Role.EMPLOYEE))) == []
    assert slugs(datasets_for_user(user=AnonymousUser())) == []
    assert list(models_for_user(user=AnonymousUser())) == []


def test_an_engineer_sees_only_granted_models(engineer, other_engineer):
    create_model(actor=engineer, name="Mine")
    create_model(actor=other_engineer, name="Theirs")

    assert [model.slug for model in models_for_user(user=engineer)] == ["mine"]
    with pytest.raises(Http404, match="No such model."):
        model_for_user(user=engineer, slug="theirs")


def test_records_under_a_hidden_dataset_or_model_are_hidden_too(dataset, steward, other_steward, other_engineer, engineer, make_version, csv_location, dpo):
    version = make_version(dataset, "v1")
    link = create_share_link(
        actor=dpo, version=version, recipient_name="R", recipient_organisation="O", purpose="p", expires_at=timezone.now() + timedelta(days=1)
    ).link
    model = create_model(actor=engineer, name="M")
    run = register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now())

    assert location_for_user(user=steward, pk=csv_location.pk) == csv_location
    assert version_for_user(user=steward, slug="shop-customers", label="v1") == version
    assert share_link_for_user(user=steward, pk=link.pk) == link
    assert run_for_user(user=engineer, pk=run.pk) == run
    for lookup in (
        lambda: location_for_user(user=other_steward, pk=csv_location.pk),
        lambda: location_for_user(user=steward, pk="not-a-uuid"),
        lambda: version_for_user(user=other_steward, slug="shop-customers", label="v1"),
        lambda: share_link_for_user(user=other_steward, pk=link.pk),
        lambda: run_for_user(user=other_engineer, pk=run.pk),
        lambda: run_for_user(user=engineer, pk="x"),
    ):
        with pytest.raises(Http404):
            lookup()


def test_filters_and_sorting(make_dataset, dpo, steward, other_steward):
    make_dataset(
        "Clinic",
        owner=steward,
        data_categories=["health"],
        subject_jurisdictions=["US"],
        sensitivity="restricted",
        lawful_bases=["consent"],
        retention_days=30,
        encryption_at_rest="AES-256",
        encryption_in_transit=True,
    )
    make_dataset("Leads", owner=other_steward, data_categories=["contact"], subject_jurisdictions=["DE"], sensitivity="internal", retention_days=400)
    make_dataset("Reviews", sensitivity="public", description="What customers wrote about the shop")

    def listed(**filters):
        return slugs(datasets_for_user(user=dpo, filters=DatasetFilters(**filters)))

    assert listed(category="health") == ["clinic"]
    assert listed(category="children") == []
    assert listed(regulation="gdpr") == ["leads"]
    assert listed(regulation="hipaa") == ["clinic"]
    assert listed(sensitivity="public") == ["reviews"]
    assert listed(owner=other_steward.pk) == ["leads"]
    assert listed(search="customers wrote") == ["reviews"]
    assert listed(missing="owner") == ["reviews"]
    assert listed(missing="retention") == ["reviews"]
    assert listed(missing="lawful_basis") == ["leads", "reviews"]
    assert listed(missing="encryption") == ["leads", "reviews"]
    assert listed(sort="-sensitivity") == ["clinic", "leads", "reviews"]
    assert listed(sort="retention") == ["clinic", "leads", "reviews"]
    assert listed(sort="-retention") == ["leads", "clinic", "reviews"]
    assert listed(sort="no-such-sort") == ["clinic", "leads", "reviews"]


def test_archived_datasets_are_listed_only_when_asked(dataset, steward):
    from datasets.services import archive_dataset

    archive_dataset(actor=steward, dataset=dataset)
    assert slugs(datasets_for_user(user=steward)) == []
    assert slugs(datasets_for_user(user=steward, filters=DatasetFilters(status="archived"))) == ["shop-customers"]
    assert slugs(datasets_for_user(user=steward, filters=DatasetFilters(status=""))) == ["shop-customers"]


def test_list_rows_carry_their_counts(dataset, dpo, make_version):
    add_storage_location(actor=dpo, dataset=dataset, name="a", kind="redis", url="redis://c/0", key_pattern="u:{key}", subject_key="email")
    add_storage_location(actor=dpo, dataset=dataset, name="b", kind="redis", url="redis://c/1", key_pattern="u:{key}", subject_key="email")
    make_version(dataset, "v1")
    row = datasets_for_user(user=dpo).get()
    assert (row.location_count, row.version_count) == (2, 1)


def _many_datasets(count: int, owner) -> None:
    Dataset.objects.bulk_create(
        Dataset(name=f"Dataset {number:04d}", slug=f"dataset-{number:04d}", owner=owner, data_categories=["contact"]) for number in range(count)
    )
    view = Permission.objects.get(codename="view_dataset")
    DatasetUserObjectPermission.objects.bulk_create(
        DatasetUserObjectPermission(user=owner, permission=view, content_object=dataset) for dataset in Dataset.objects.all()
    )


@pytest.mark.parametrize("count", [10, 1000])
@pytest.mark.parametrize("who", ["steward", "dpo"])
def test_the_dataset_list_takes_the_same_few_queries_at_10_and_1000_datasets(count, who, steward, dpo, django_assert_max_num_queries):
    _many_datasets(count, steward)
    user = fresh(steward if who == "steward" else dpo)
    list(datasets_for_user(user=fresh(user)))  # warms the content-type cache, as any earlier request would

    with django_assert_max_num_queries(3):
        rows = list(datasets_for_user(user=user, filters=DatasetFilters(category="contact", sort="-updated")))
        shown = [(row.owner.username, row.location_count, row.version_count, row.get_sensitivity_display()) for row in rows]
    assert len(shown) == count


@pytest.mark.parametrize("count", [10, 200])
def test_the_model_list_and_a_models_runs_take_constant_queries(count, engineer, dataset, make_version, django_assert_max_num_queries):
    version = make_version(dataset, "v1")
    model = create_model(actor=engineer, name="M")
    for _ in range(count):
        register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now())
    user = fresh(engineer)
    list(models_for_user(user=fresh(user)))  # warms the content-type cache

    with django_assert_max_num_queries(3):
        listed = [(row.owner.username, row.run_count, row.flagged_run_count) for row in models_for_user(user=user, filters=ModelFilters())]
    with django_assert_max_num_queries(2):
        runs = [[v.dataset.slug for v in run.dataset_versions.all()] for run in runs_for_model(model=model)]
    assert listed == [("engineer", count, 0)] and len(runs) == count


def test_versions_list_carries_counts_and_filter_figures_without_the_bits(dataset, make_version, engineer):
    v1 = make_version(dataset, "v1", subject_keys=["a", "b"])
    make_version(dataset, "v2", parents=[v1])
    register_training_run(actor=engineer, model=create_model(actor=engineer, name="M"), dataset_versions=[v1], started_at=timezone.now())

    rows = {row.label: row for row in versions_for_dataset(dataset=dataset)}
    assert (rows["v1"].parent_count, rows["v1"].run_count, rows["v1"].membership_filter.expected_items) == (0, 1, 2)
    assert (rows["v2"].parent_count, rows["v2"].run_count) == (1, 0)
    assert "bits" in rows["v1"].membership_filter.get_deferred_fields()


def test_lineage_graph_holds_ancestors_and_descendants_only(dataset, make_dataset, make_version):
    other = make_dataset("Orders")
    raw = make_version(dataset, "raw")
    orders = make_version(other, "o1")
    clean = make_version(dataset, "clean", parents=[ParentLink(version=raw, transformation="dedupe"), orders])
    features = make_version(dataset, "features", parents=[clean])
    make_version(dataset, "unrelated")
    sibling = make_version(dataset, "sibling", parents=[raw])

    graph = lineage_graph(version=clean)

    assert set(graph.nodes) == {raw.pk, orders.pk, clean.pk, features.pk}
    assert sibling.pk not in graph.nodes
    assert {(edge.parent_id, edge.child_id, edge.transformation) for edge in graph.edges} == {
        (raw.pk, clean.pk, "dedupe"),
        (orders.pk, clean.pk, ""),
        (clean.pk, features.pk, ""),
    }
    assert graph.ancestors == {raw.pk, orders.pk} and graph.descendants == {features.pk}
    assert graph.nodes[orders.pk].dataset_slug == "orders"


def test_the_privacy_budget_ledger(dataset, make_dataset, make_version, dpo, engineer):
    from datasets.services import record_budget_override, update_dataset

    dataset = update_dataset(actor=dpo, dataset=dataset, changes={"privacy_budget_epsilon": 3.0})
    v1, v2 = make_version(dataset, "v1"), make_version(dataset, "v2")
    model = create_model(actor=engineer, name="M")
    start = timezone.now()
    register_training_run(actor=engineer, model=model, dataset_versions=[v1, v2], started_at=start, privacy_technique="dp_sgd", epsilon=1.0)
    register_training_run(actor=engineer, model=model, dataset_versions=[v1], started_at=start, privacy_technique="federated")
    override = record_budget_override(actor=dpo, dataset=dataset, model=model, epsilon_over=1.0, reason="approved")
    run = register_training_run(actor=engineer, model=model, dataset_versions=[v2], started_at=start, privacy_technique="dp_sgd", epsilon=2.5)

    ledger = privacy_budget_ledger(dataset=dataset)
    assert (ledger.budget, ledger.spent, ledger.remaining, ledger.over_budget) == (3.0, 3.5, -0.5, True)
    assert [(entry.epsilon, entry.override) for entry in ledger.entries] == [(1.0, None), (2.5, override)]
    assert ledger.overrides == [override] and ledger.entries[1].run == run


def test_runs_using_versions_and_subject_membership_for_erasure(dataset, make_version, engineer):
    # Near-certain filters: the assertions below also say who is NOT in a version.
    certain = {"false_positive_rate": 1e-9}
    with_filter = make_version(dataset, "v1", subject_keys=["alice", "bob"], **certain)
    without_filter = make_version(dataset, "v2")
    by_email = make_version(dataset, "v3", subject_keys=["carol@example.org"], subject_key="email", **certain)
    unused = make_version(dataset, "v4", subject_keys=["alice"], **certain)
    model = create_model(actor=engineer, name="M")
    runs = [
        register_training_run(actor=engineer, model=model, dataset_versions=versions, started_at=timezone.now())
        for versions in ([with_filter], [without_filter, with_filter], [by_email])
    ]

    assert list(runs_using_versions(versions=[with_filter])) == runs[:2]
    alice = versions_matching_subject(identifiers={"external_id": "alice", "email": ""})
    assert alice.containing == [with_filter]
    assert alice.unknown == [without_filter, by_email]
    assert unused not in alice.containing + alice.unknown
    carol = versions_matching_subject(identifiers={"external_id": "carol", "email": "Carol@example.org"})
    assert carol.containing == [by_email] and carol.unknown == [without_filter]


def test_dataset_grants_name_levels(dataset, steward, other_steward):
    grant_dataset_access(actor=steward, dataset=dataset, user=other_steward, level="view")
    assert [(grant.user.username, grant.level) for grant in dataset_grants(dataset=dataset)] == [
        ("other-steward", "view"),
        ("steward", "change"),
    ]
