"""Figures as people read them on the registry's pages."""

import pytest

from datasets.templatetags.registry_figures import figure, percentage, pretty_json


@pytest.mark.parametrize(("rate", "shown"), [(0.001, "0.1%"), (0.01, "1%"), (0.07, "7%"), (0.0001, "0.01%"), (1e-9, "0.0000001%"), (None, "")])
def test_percentage(rate, shown):
    assert percentage(rate) == shown


@pytest.mark.parametrize(("value", "shown"), [(0.1 + 0.2, "0.3"), (2, "2.0"), (1e-5, "1e-05"), (0, "0.0"), (None, "—")])
def test_figure(value, shown):
    assert figure(value) == shown


def test_pretty_json_sorts_and_indents():
    assert pretty_json({"b": 1, "a": "é"}) == '{\n  "a": "é",\n  "b": 1\n}'
