"""Which regulations apply to a dataset, from what it holds and where its subjects are.

A first cut a DPO can override per dataset (``regulations_override``):

* GDPR when any subject is in the EEA or the United Kingdom (UK GDPR keeps the
  same obligations);
* CCPA when any subject is a California resident (``US-CA``);
* HIPAA when the dataset holds health data (PHI) about subjects in the US.
"""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from datasets.models import DataCategory, Regulation

JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")

# EU member states, the other EEA states (Iceland, Liechtenstein, Norway), and the UK.
GDPR_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO GB".split()
)


def clean_jurisdictions(value: Iterable[str] | None) -> list[str]:
    """Return distinct upper-case jurisdiction codes (``GB``, ``US-CA``), sorted; raise ValidationError for others."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("Give the subjects' jurisdictions as a list of codes such as GB, DE or US-CA.")
    codes = sorted({str(code).strip().upper() for code in value if str(code).strip()})
    bad = [code for code in codes if not JURISDICTION.match(code)]
    if bad:
        raise ValidationError(
            f"Not a jurisdiction code: {', '.join(bad)}. Use ISO country codes (GB, DE, US) or US-CA for a US state."
        )
    return codes


def derive_regulations(*, data_categories: Iterable[str], jurisdictions: Iterable[str]) -> list[str]:
    """Return the regulation codes that apply, in the choices' order."""
    categories = set(data_categories)
    codes = set(jurisdictions)
    countries = {code.split("-", 1)[0] for code in codes}
    applies = set()
    if countries & GDPR_COUNTRIES:
        applies.add(Regulation.GDPR)
    if "US-CA" in codes:
        applies.add(Regulation.CCPA)
    if DataCategory.HEALTH in categories and "US" in countries:
        applies.add(Regulation.HIPAA)
    return [code for code in Regulation.values if code in applies]
