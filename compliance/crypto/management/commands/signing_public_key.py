"""Print the public half of the integrity key (SIGNING_KEY), or a new SIGNING_KEY with --generate."""

from django.core.management.base import BaseCommand

from compliance.crypto import signing


class Command(BaseCommand):
    help = (
        "Print the Ed25519 public key that verifies Custos's signatures (URL-safe base64 of its 32 raw bytes), "
        "with its key id on stderr. --all lists every trusted key (the active one and SIGNING_PUBLIC_KEYS_EXTRA). "
        "--generate prints a new SIGNING_KEY instead."
    )
    # The key lives in settings only: no database, so this runs on a machine without one.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="List every trusted public key, one per line: id and key.")
        parser.add_argument("--generate", action="store_true", help="Print a new SIGNING_KEY (a private seed) and exit.")

    def handle(self, *args, **options):
        if options["generate"]:
            self.stdout.write(signing.new_signing_key())
            return
        if options["all"]:
            for key_id, public_key, active in signing.public_key_texts():
                self.stdout.write(f"{key_id} {public_key}{' active' if active else ''}")
            return
        active = signing.signing_key().public_key()
        self.stderr.write(f"key id {signing.key_id_for(active)}")
        self.stdout.write(signing.encode(signing.public_key_bytes(active)))
