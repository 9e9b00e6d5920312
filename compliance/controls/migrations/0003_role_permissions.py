"""Give the role groups their controls permissions, check results' included (ROLE_PERMISSIONS in compliance.accounts.roles)."""

from django.db import migrations

from compliance.accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("controls", "0002_checkresult"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
