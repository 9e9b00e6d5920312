from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    """The project package as an app: shell pages, health, demo data, the run command."""

    name = "compliance"
    verbose_name = "Custos"
