"""``manage.py load_frameworks``: load or upgrade the framework catalogs, then the default control set; idempotent."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.audit.actors import SystemActor
from compliance.controls.loader import (
    DEFAULT_CONTROLS_FILE,
    FRAMEWORKS_DIR,
    CatalogError,
    load_catalogs,
)

LOADER_ACTOR = SystemActor("load_frameworks")


class Command(BaseCommand):
    help = (
        "Load the GDPR / HIPAA / CCPA catalogs (every *.yaml in --path) and the default control set. "
        "Unchanged catalogs are left alone; a new version upgrades in place and marks changed requirements for review."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=FRAMEWORKS_DIR, help=f"Catalog directory (default {FRAMEWORKS_DIR}).")
        parser.add_argument(
            "--controls",
            type=Path,
            default=DEFAULT_CONTROLS_FILE,
            help=f"Control set file (default {DEFAULT_CONTROLS_FILE}); skipped when it does not exist.",
        )

    def handle(self, *args, **options):
        try:
            summary = load_catalogs(actor=LOADER_ACTOR, directory=options["path"], controls_file=options["controls"])
        except CatalogError as error:
            raise CommandError(str(error)) from error
        if not summary.frameworks:
            self.stdout.write(f"No catalog files (*.yaml) in {options['path']}.")
        for line in summary.lines():
            self.stdout.write(line)
