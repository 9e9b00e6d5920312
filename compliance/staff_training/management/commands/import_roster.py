"""``manage.py import_roster PATH [--partial] [--apply]``: preview an HR roster CSV, or apply it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.audit.actors import SystemActor
from compliance.staff_training.services import TrainingActionRefused, apply_roster_import, preview_roster_import

IMPORT_ACTOR = SystemActor("import_roster")


class Command(BaseCommand):
    help = (
        "Preview (default) or apply (--apply) an HR roster CSV (columns in docs/training.md). A full import deactivates "
        "employees missing from the file; --partial only adds and updates."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The roster CSV file (UTF-8).")
        parser.add_argument("--partial", action="store_true", help="Add and update only; never deactivate.")
        parser.add_argument("--apply", action="store_true", help="Apply the file (in one transaction) after the preview.")

    def handle(self, *args, **options):
        path: Path = options["path"]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            preview = preview_roster_import(content=content, partial=options["partial"])
            self.stdout.write(
                f"{len(preview.creates)} to create, {len(preview.updates)} to update, "
                f"{len(preview.deactivations)} to deactivate, {preview.unchanged} unchanged, {len(preview.errors)} errors."
            )
            for error in preview.errors:
                self.stdout.write(f"  line {error.line}: {error.message}")
            if not options["apply"]:
                return
            run = apply_roster_import(actor=IMPORT_ACTOR, content=content, filename=path.name, partial=options["partial"])
        except TrainingActionRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(
            f"Imported: {run.created_count} created, {run.updated_count} updated, "
            f"{run.deactivated_count} deactivated, {run.unchanged_count} unchanged."
        )
