from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "compliance.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from compliance.accounts import receivers  # noqa: F401  (audit events for auth signals)
