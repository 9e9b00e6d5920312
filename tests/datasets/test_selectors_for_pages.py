"""Reads the registry's pages need: a whole dataset's lineage, lineage seen by someone not granted every dataset,
version choices, run rows that know whether their model may be opened, engineers and budgeted datasets."""

import pytest
from django.utils import timezone

from compliance.accounts.roles import Role
from datasets.models import DatasetVersion
from datasets.selectors import (
    MAX_LINEAGE_NODES,
    budgeted_datasets_for_user,
    children_of,
    dataset_lineage_graph,
    lineage_for_user,
    lineage_graph,
    ml_engineers,
    runs_for_dataset,
    versions_for_training,
    versions_for_user,
    visible_dataset_slugs,
    with_model_visibility,
)
from datasets.services import ParentLink, create_model, register_training_run

pytestmark = pytest.mark.django_db


def test_a_datasets_lineage_holds_all_its_versions_and_their_relatives(dataset, make_dataset, make_version):
    other = make_dataset("Orders")
    o1 = make_version(other, "o1")
    v1 = make_version(dataset, "v1", parents=[o1])
    v2 = make_version(dataset, "v2", parents=[v1])
    downstream = make_version(make_dataset("Features"), "f1", parents=[v2])
    make_version(other, "unrelated")

    graph = dataset_lineage_graph(dataset=dataset)

    assert set(graph.nodes) == {o1.pk, v1.pk, v2.pk, downstream.pk}
    assert graph.focus_id == v2.pk and not graph.truncated
    assert dataset_lineage_graph(dataset=make_dataset("Empty")) is None
    assert [edge.child for edge in children_of(version=v2)] == [downstream]


def test_a_dataset_with_too_many_versions_draws_the_newest_and_says_so(dataset):
    DatasetVersion.objects.bulk_create(DatasetVersion(dataset=dataset, label=f"v{n}") for n in range(MAX_LINEAGE_NODES + 1))
    graph = dataset_lineage_graph(dataset=dataset)
    assert graph.truncated and len(graph.nodes) == MAX_LINEAGE_NODES


def test_lineage_seen_by_a_steward_hides_datasets_not_granted(dataset, make_dataset, make_version, steward, other_steward):
    hidden = make_dataset("Partner data", owner=other_steward)
    p1 = make_version(hidden, "p1")
    v1 = make_version(dataset, "v1", parents=[ParentLink(version=p1, transformation="joined")])
    p2 = make_version(hidden, "p2", parents=[ParentLink(version=v1, transformation="their secret step")])

    graph, visible = lineage_for_user(lineage_graph(version=v1), user=steward)

    assert visible == {"shop-customers"}
    assert graph.nodes[v1.pk].title == "shop-customers@v1"
    assert {graph.nodes[pk].title for pk in (p1.pk, p2.pk)} == {"A version of a dataset not shared with you"}
    assert {(edge.parent_id, edge.transformation) for edge in graph.edges} == {(p1.pk, "joined"), (v1.pk, "")}
    assert visible_dataset_slugs(user=other_steward, slugs=["shop-customers", "partner-data"]) == {"partner-data"}


def test_version_choices(dataset, make_dataset, make_version, steward, engineer, other_steward):
    mine = make_version(dataset, "v1")
    theirs = make_version(make_dataset("Partner data", owner=other_steward), "p1")

    assert list(versions_for_user(user=steward)) == [mine]
    assert list(versions_for_training(user=steward)) == [mine]
    # ML engineers name the data they trained on, though no dataset is granted to them.
    assert list(versions_for_user(user=engineer)) == []
    assert list(versions_for_training(user=engineer)) == [theirs, mine]


def test_run_rows_know_whether_their_model_may_be_opened(dataset, make_version, engineer, other_engineer, steward):
    version = make_version(dataset, "v1")
    model = create_model(actor=engineer, name="M")
    register_training_run(actor=engineer, model=model, dataset_versions=[version], started_at=timezone.now())

    def visible_to(user):
        return [run.model_visible for run in with_model_visibility(runs_for_dataset(dataset=dataset), user=user)]

    assert visible_to(engineer) == [True]
    assert visible_to(other_engineer) == [False] and visible_to(steward) == [False]


def test_engineers_and_budgeted_datasets(make_user, engineer, other_engineer, make_dataset, dpo, steward):
    make_user(Role.ML_ENGINEER, username="left", is_active=False)
    make_dataset("Budgeted", privacy_budget_epsilon=3.0)
    make_dataset("Unlimited")

    assert [user.username for user in ml_engineers()] == ["engineer", "other-engineer"]
    assert [dataset.name for dataset in budgeted_datasets_for_user(user=dpo)] == ["Budgeted"]
    assert list(budgeted_datasets_for_user(user=steward)) == []
