"""Give the role groups their staff-training permissions (ROLE_PERMISSIONS in compliance.accounts.roles)."""

from django.db import migrations

from compliance.accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("staff_training", "0001_initial"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
