"""``manage.py trace_leak FILE``: name the share link a leaked CSV or JSON Lines file came from."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance.audit.actors import SystemActor
from datasets.services import trace_leak
from datasets.watermark import UnreadableFile


class Command(BaseCommand):
    help = "Look for share links' canary rows in a file and name the share it was copied from."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The leaked file (CSV or JSON Lines).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            matches = trace_leak(actor=SystemActor("trace_leak"), path=path)
        except UnreadableFile as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"{path} cannot be read: {error.strerror or error}.") from None
        if not matches:
            self.stdout.write(f"No share link's canary rows appear in {path}.")
            return
        for match in matches:
            link = match.link
            created = timezone.localtime(link.created_at).strftime("%d %B %Y %H:%M")
            self.stdout.write(
                f"{path} carries {match.canaries_found} canary row(s) of share link {link.pk}:"
                f" {link.version} shared with {link.recipient_name} ({link.recipient_organisation})"
                f" on {created}, for: {link.purpose}"
            )
