"""Re-encrypt every encrypted field under the active key (the first of FIELD_ENCRYPTION_KEYS)."""

from django.core.management.base import BaseCommand

from compliance.audit.actors import SystemActor
from compliance.crypto.keyring import get_keyring
from compliance.crypto.rotation import rotate_encryption_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt rows still under an old key, in batches that commit one by one: "
        "safe to interrupt and run again; prints how many rows it moved."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--max-rows", type=int, default=None, help="Stop after this many rows (resume later).")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            self.stderr.write("--batch-size must be at least 1.")
            raise SystemExit(2)
        active = get_keyring().active.key_id
        result = rotate_encryption_keys(
            actor=SystemActor("rotate_encryption_keys"), batch_size=options["batch_size"], max_rows=options["max_rows"]
        )
        for label, count in sorted(result.per_artefact.items()):
            self.stdout.write(f"  {label}: {count}")
        for label, count in sorted(result.per_model.items()):
            self.stdout.write(f"  {label}: {count}")
        state = "all rows are under it" if result.complete else "rows remain under older keys; run again to finish"
        self.stdout.write(f"Moved {result.rows_moved} rows to key {active}; {state}.")
