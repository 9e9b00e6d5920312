"""Give the DPO, data steward and ML engineer roles the training gate's permission (ROLE_PERMISSIONS)."""

from django.db import migrations

from compliance.accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("staff_training", "0004_gated_by_training_permission"),
        ("accounts", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
