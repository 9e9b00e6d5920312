"""Check of staff training: no data until the training module exists, never a pass."""

import pytest


@pytest.mark.django_db
def test_reports_no_data_saying_training_is_not_recorded_yet(evaluate):
    outcome = evaluate("training.staff_current")

    assert outcome.status == "no_data"
    assert outcome.summary == (
        "Staff training is not recorded in Custos yet (the training module is not installed), "
        "so whether 95% of employees are current cannot be measured."
    )


@pytest.mark.django_db
def test_still_no_data_once_the_module_is_installed_but_not_read(evaluate, monkeypatch):
    # The day the training app lands, the check must not start passing on its own.
    monkeypatch.setattr("compliance.controls.checks.training.apps.is_installed", lambda name: True)

    outcome = evaluate("training.staff_current")

    assert outcome.status == "no_data"
