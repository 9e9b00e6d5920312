"""Jurisdiction codes and the regime they set for a subject's requests."""

import pytest
from django.core.exceptions import ValidationError

from consent.jurisdictions import COUNTRIES, Jurisdiction, Regime, parse_jurisdiction, regime_for


@pytest.mark.parametrize(
    ("value", "expected"),
    [("GB", Jurisdiction("GB")), ("us-ca", Jurisdiction("US", "CA")), (" US_NY ", Jurisdiction("US", "NY")), ("FR-75", Jurisdiction("FR", "75"))],
)
def test_codes_are_normalised(value, expected):
    assert parse_jurisdiction(value) == expected


def test_the_code_joins_country_and_region():
    assert Jurisdiction("US", "CA").code == "US-CA"
    assert Jurisdiction("DE").code == "DE"


def test_an_unknown_country_is_refused_with_examples():
    with pytest.raises(ValidationError) as refused:
        parse_jurisdiction("XX")

    assert refused.value.messages == [
        "'XX' is not a jurisdiction: give an ISO 3166-1 country code such as GB, DE or FR, "
        "with the state for the United States, such as US-CA or US-NY."
    ]


def test_an_unknown_us_state_is_refused():
    with pytest.raises(ValidationError) as refused:
        parse_jurisdiction("US-ZZ")

    assert refused.value.messages == ["'ZZ' is not a US state or territory code; use for example US-CA or US-NY."]


def test_the_country_list_is_iso_3166_alpha_2():
    assert len(COUNTRIES) == 249
    assert {"GB", "DE", "FR", "US", "CH", "NO"} <= COUNTRIES


@pytest.mark.parametrize(
    ("country", "region", "regime"),
    [
        ("DE", "", Regime.GDPR),
        ("FR", "", Regime.GDPR),
        ("NO", "", Regime.GDPR),  # EEA
        ("GB", "", Regime.GDPR),  # UK GDPR: the same clocks
        ("CH", "", Regime.POLICY),  # Switzerland has its own law
        ("US", "CA", Regime.CCPA),
        ("US", "NY", Regime.POLICY),
        ("US", "", Regime.POLICY),
        ("", "", Regime.POLICY),
    ],
)
def test_the_regime_follows_the_jurisdiction(country, region, regime):
    assert regime_for(country, region) == regime
