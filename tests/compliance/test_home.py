"""The home page's cards: the Models card counts the runs erasures flagged until their owners resolve them."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from compliance.accounts.roles import Role
from datasets.models import TrainingRun
from datasets.models.choices import ErasureStatus
from tests.conftest import verified_client
from tests.datasets.views.registry_objects import run_of_another_engineer

pytestmark = pytest.mark.django_db


def _flag(run: TrainingRun, status: str) -> None:
    TrainingRun.objects.filter(pk=run.pk).update(erasure_status=status)


def test_the_models_card_counts_unresolved_flagged_runs_and_links_the_flagged_models(make_user):
    _flag(run_of_another_engineer(), ErasureStatus.AFFECTED)
    _flag(run_of_another_engineer(), ErasureStatus.AFFECTED)
    _flag(run_of_another_engineer(), ErasureStatus.POSSIBLY_AFFECTED)
    run_of_another_engineer()
    client = verified_client(make_user(Role.DPO))  # managers and auditors land on their own pages (compliance.reports)

    content = client.get(reverse("home")).content.decode()

    assert "2 training runs affected and 1 possibly affected by erasures" in content
    assert f'href="{reverse("models:list")}?flagged_only=on"' in content


def test_an_engineer_counts_only_the_flagged_runs_of_models_granted_to_them(make_user):
    engineer = make_user(Role.ML_ENGINEER)
    mine = run_of_another_engineer()
    assign_perm("datasets.view_mlmodel", engineer, mine.model)
    _flag(mine, ErasureStatus.POSSIBLY_AFFECTED)
    _flag(run_of_another_engineer(), ErasureStatus.AFFECTED)

    content = verified_client(engineer).get(reverse("home")).content.decode()

    assert "0 training runs affected and 1 possibly affected by erasures" in content


def test_without_flagged_runs_the_models_card_describes_the_registry(make_user):
    run_of_another_engineer()

    content = verified_client(make_user(Role.DPO)).get(reverse("home")).content.decode()

    assert "possibly affected by erasures" not in content
    assert "Which models were trained on which dataset versions" in content
