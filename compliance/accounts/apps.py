from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "compliance.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from compliance.accounts import receivers  # noqa: F401  (audit events for auth signals)

        # Keep the role groups equal to ROLE_PERMISSIONS after every migrate (so a
        # new app's permissions reach the roles without a migration of its own) and
        # after every flush, which empties them along with everything else.
        post_migrate.connect(receivers.sync_roles_after_migrate, sender=self, dispatch_uid="custos.sync_roles")
