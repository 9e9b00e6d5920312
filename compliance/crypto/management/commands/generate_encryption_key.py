"""Print a new field-encryption key for FIELD_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from compliance.crypto.keyring import Key
from compliance.devkeys import new_field_encryption_key


class Command(BaseCommand):
    help = (
        "Print a new AES-256 key (URL-safe base64 of 32 random bytes). To rotate, put it first in "
        "FIELD_ENCRYPTION_KEYS, keep the old keys after it, then run rotate_encryption_keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("--with-id", action="store_true", help="Also print the key id on stderr.")

    def handle(self, *args, **options):
        encoded = new_field_encryption_key()
        if options["with_id"]:
            self.stderr.write(f"key id {Key.from_setting(encoded).key_id}")
        self.stdout.write(encoded)
