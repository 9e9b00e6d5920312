"""Refuse UPDATE on consent events in the database itself (see consent.triggers)."""

from django.db import migrations

from consent import triggers


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(triggers.install, triggers.remove)]
