"""Which regulations a dataset falls under, from its categories and its subjects' jurisdictions."""

import pytest
from django.core.exceptions import ValidationError

from datasets.regulations import clean_jurisdictions, derive_regulations


@pytest.mark.parametrize(
    ("categories", "jurisdictions", "expected"),
    [
        ([], [], []),
        (["contact"], ["FR"], ["gdpr"]),
        (["contact"], ["GB"], ["gdpr"]),
        (["contact"], ["CH"], []),
        (["contact"], ["US-CA"], ["ccpa"]),
        (["contact"], ["US-NY"], []),
        (["health"], ["US-NY"], ["hipaa"]),
        (["health"], ["DE"], ["gdpr"]),
        (["health", "contact"], ["US-CA", "NO"], ["gdpr", "hipaa", "ccpa"]),
    ],
)
def test_derivation(categories, jurisdictions, expected):
    assert derive_regulations(data_categories=categories, jurisdictions=jurisdictions) == expected


def test_jurisdictions_are_normalised_and_checked():
    assert clean_jurisdictions([" gb", "US-CA", "GB", ""]) == ["GB", "US-CA"]
    with pytest.raises(ValidationError, match="Not a jurisdiction code: ENGLAND, U. Use ISO country codes"):
        clean_jurisdictions(["England", "u"])
