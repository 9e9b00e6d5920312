"""Where a data subject lives, and which regime's clocks that sets for their requests.

A jurisdiction is an ISO 3166-1 alpha-2 country, with a region (an ISO 3166-2
subdivision suffix) where it matters: for the United States the state, since
California residents have CCPA rights other Americans do not.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

from datasets.regulations import GDPR_COUNTRIES

# Every officially assigned ISO 3166-1 alpha-2 code.
COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)
# The fifty states, the District of Columbia and the inhabited territories.
US_REGIONS = frozenset(
    """
    AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY
    NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI UM
    """.split()
)
REGION_LENGTHS = range(1, 4)


class Regime(models.TextChoices):
    """The rules whose deadlines govern a subject's requests (4/9 computes the clocks)."""

    GDPR = "gdpr", "GDPR / UK GDPR"
    CCPA = "ccpa", "CCPA"
    POLICY = "policy", "Internal policy"


@dataclass(frozen=True)
class Jurisdiction:
    """A country and, where known, a region: ``GB``, ``US-CA``."""

    country: str
    region: str = ""

    @property
    def code(self) -> str:
        return f"{self.country}-{self.region}" if self.region else self.country

    def __str__(self) -> str:
        return self.code


def parse_jurisdiction(value: str) -> Jurisdiction:
    """Return the jurisdiction ``value`` names (``gb``, ``US-CA``, ``us_ny``); raise ValidationError otherwise."""
    text = str(value).strip().upper().replace("_", "-")
    country, _, region = text.partition("-")
    if country not in COUNTRIES:
        raise ValidationError(
            f"{value!r} is not a jurisdiction: give an ISO 3166-1 country code such as GB, DE or FR, "
            "with the state for the United States, such as US-CA or US-NY."
        )
    if country == "US" and region and region not in US_REGIONS:
        raise ValidationError(f"{region!r} is not a US state or territory code; use for example US-CA or US-NY.")
    if region and (len(region) not in REGION_LENGTHS or not region.isalnum()):
        raise ValidationError(f"{region!r} is not a region code: use 1 to 3 letters or digits, as in US-CA.")
    return Jurisdiction(country=country, region=region)


def regime_for(country: str, region: str = "") -> str:
    """Return the regime for a subject in ``country`` (and ``region``).

    GDPR for the EEA and, as UK GDPR with the same clocks, for the United
    Kingdom; CCPA for California residents; the organisation's own policy for
    everyone else and for subjects whose jurisdiction is unknown.
    """
    if country in GDPR_COUNTRIES:
        return Regime.GDPR
    if country == "US" and region == "CA":
        return Regime.CCPA
    return Regime.POLICY
