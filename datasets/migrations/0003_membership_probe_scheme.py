"""Record each membership filter's probe scheme: filters stored so far used double hashing."""

from django.db import migrations, models

CHOICES = [("shake256", "Independent SHAKE-256 words"), ("double-hashing", "Double hashing (legacy)")]
HELP = "How an item's bit positions are derived; filters keep the scheme they were built with."


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0002_role_permissions"),
    ]

    operations = [
        # Existing rows were built with double hashing and must keep being read with it.
        migrations.AddField(
            model_name="membershipfilter",
            name="probe_scheme",
            field=models.CharField(
                choices=CHOICES, default="double-hashing", help_text=HELP, max_length=16, verbose_name="probe scheme"
            ),
        ),
        # New filters use independent probes.
        migrations.AlterField(
            model_name="membershipfilter",
            name="probe_scheme",
            field=models.CharField(
                choices=CHOICES, default="shake256", help_text=HELP, max_length=16, verbose_name="probe scheme"
            ),
        ),
    ]
