"""Verify an audit report offline: its detached Ed25519 signature, with the public key alone, no database."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from compliance.crypto import signing
from compliance.reports.signature_file import SignatureFileInvalid, verify_files


class Command(BaseCommand):
    help = (
        "Verify REPORT.pdf against REPORT.sig with the trusted public keys (SIGNING_KEY's and SIGNING_PUBLIC_KEYS_EXTRA, "
        "or only those given with --public-key). Needs no database. Says which report the file is; exits non-zero "
        "with the reason when anything differs."
    )
    # Nothing here touches the database: no system checks (some would), no connection.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("pdf", help="The report's PDF, as downloaded.")
        parser.add_argument("signature", help="Its signature file (.sig).")
        parser.add_argument(
            "--public-key",
            action="append",
            dest="public_keys",
            metavar="KEY",
            help="Trust only this public key (URL-safe base64, 32 bytes); repeat for several.",
        )

    def handle(self, *args, **options):
        content = self._read(options["pdf"], "report")
        raw_signature = self._read(options["signature"], "signature file")
        try:
            trusted = signing.public_keys(extra=options["public_keys"]) if options["public_keys"] else signing.public_keys()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        try:
            verified = verify_files(content=content, raw_signature=raw_signature, trusted=trusted)
        except SignatureFileInvalid as invalid:
            raise CommandError(f"NOT VERIFIED: {invalid}") from None
        self.stdout.write(
            f"Verified: Custos audit report #{verified.report_id} ({verified.report_uid}), "
            f"SHA-256 {verified.sha256}, signed by key {verified.key_id}."
        )

    @staticmethod
    def _read(path: str, what: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read the {what} {path}: {error.strerror}.") from None
