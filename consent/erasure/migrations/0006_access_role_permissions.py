"""Give the role groups their access request permissions (ROLE_PERMISSIONS in compliance.accounts.roles)."""

from django.db import migrations

from compliance.accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("erasure", "0005_access_requests"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
