"""The consent app's code sets. The values are API contracts: never rename one."""

from django.db import models


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", "Granted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REFUSED = "refused", "Refused"
    EXPIRED = "expired", "Expired"


class CollectionMethod(models.TextChoices):
    WEB_FORM = "web_form", "Web form"
    APP = "app", "App"
    PAPER = "paper", "Paper form"
    API = "api", "API"
    IMPORT = "import", "Import"


# What a person or a program may record; "expired" is written only by Custos when
# a consent's expiry passes (lapse_expired_consents).
RECORDABLE_STATUSES = (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN, ConsentStatus.REFUSED)
