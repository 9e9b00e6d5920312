from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "compliance.crypto"
    label = "crypto"
    verbose_name = "Field encryption"

    def ready(self) -> None:
        from compliance.crypto import checks  # noqa: F401  (registers system checks)
