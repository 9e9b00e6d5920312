"""``manage.py create_api_key --name NAME --scopes a,b [--expires YYYY-MM-DD]``: a key for a program.

The key is printed alone on the last line, so a script can take it with ``tail -n 1``.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compliance.accounts import api_keys, services
from compliance.accounts.models import ApiKey
from compliance.audit.actors import SystemActor

COMMAND_ACTOR = SystemActor("manage.py create_api_key")


class Command(BaseCommand):
    help = "Create an API key with the given scopes and print it (shown once, stored only as a hash)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What will use the key, e.g. 'nightly pipeline'.")
        parser.add_argument(
            "--scopes", required=True, help=f"Comma-separated scopes from: {', '.join(ApiKey.Scope.values)}."
        )
        parser.add_argument("--expires", help="Last day the key works (YYYY-MM-DD); it never expires if absent.")

    def handle(self, *args, name: str, scopes: str, expires: str | None, **options):
        scope_list = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        expires_at = None
        if expires:
            try:
                expires_at = api_keys.end_of_day(date.fromisoformat(expires))
            except ValueError:
                raise CommandError(f"--expires must be a date as YYYY-MM-DD, not {expires!r}.") from None
        try:
            key, plaintext = services.create_api_key(
                actor=COMMAND_ACTOR, name=name, scopes=scope_list, expires_at=expires_at
            )
        except ValidationError as error:
            raise CommandError(" ".join(message for messages in error.message_dict.values() for message in messages))
        self.stdout.write(
            f"Created {key} with scopes {', '.join(key.scopes)}"
            f"{f', working until the end of {expires}' if expires else ''}. "
            "Store the key now: it is not shown again."
        )
        self.stdout.write(plaintext)
