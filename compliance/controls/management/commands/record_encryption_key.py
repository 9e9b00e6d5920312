"""``manage.py record_encryption_key --since DATE``: state when a field-encryption key came into use.

The key-age check (``crypto.key_age``) otherwise dates a key from the first
time it saw it active, which understates the age of a key that was in use
before Custos's checks ran.
"""

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance.audit.actors import SystemActor
from compliance.controls.checks.key_records import state_key_in_use_since
from compliance.crypto.keyring import get_keyring

COMMAND_ACTOR = SystemActor("manage.py record_encryption_key")


class Command(BaseCommand):
    help = (
        "Record the date a field-encryption key came into use (by default the active key, the first of "
        "FIELD_ENCRYPTION_KEYS), for the automated key-age check. The key itself is never printed or stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="The date the key came into use, YYYY-MM-DD (organisation time zone).")
        parser.add_argument("--key-id", default="", help="The key's id (8 hex digits); default: the active key.")

    def handle(self, *args, **options):
        try:
            day = datetime.strptime(options["since"], "%Y-%m-%d").date()
        except ValueError:
            raise CommandError(f"--since {options['since']!r} is not a date: give it as YYYY-MM-DD.") from None
        keyring = get_keyring()
        key_id = options["key_id"].strip().lower() or keyring.active.key_id
        if key_id not in keyring.by_id:
            raise CommandError(f"No key in FIELD_ENCRYPTION_KEYS has id {key_id}; the configured ids are {', '.join(keyring.by_id)}.")
        since = timezone.make_aware(datetime.combine(day, time.min))
        try:
            record = state_key_in_use_since(actor=COMMAND_ACTOR, key_id=key_id, since=since)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Key {record.key_id} recorded as in use since {timezone.localtime(record.in_use_since):%Y-%m-%d}.")
