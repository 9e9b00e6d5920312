"""``manage.py rebuild_membership_filters``: list filters to rebuild, or rebuild one from its version's subject keys."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compliance.audit.actors import SystemActor
from compliance.crypto.keyring import get_keyring
from datasets.models import DatasetVersion
from datasets.services.errors import RegistryActionRefused
from datasets.services.filters import filters_needing_rebuild, rebuild_membership_filter


class Command(BaseCommand):
    help = (
        "Without options, list the membership filters built with the legacy probe scheme or under a key other than"
        " the active one. With --dataset-version DATASET@LABEL --subject-keys FILE, rebuild that version's filter from the"
        " subject keys in FILE (one a line), with the current scheme and the active key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset-version", default="", help="The version, as <dataset slug>@<label>.")
        parser.add_argument("--subject-keys", default="", help="A file with the version's subject keys, one a line.")

    def handle(self, *args, **options):
        if bool(options["dataset_version"]) != bool(options["subject_keys"]):
            raise CommandError("Give both --dataset-version DATASET@LABEL and --subject-keys FILE, or neither to list.")
        if not options["dataset_version"]:
            self._list()
            return
        slug, at, label = options["dataset_version"].partition("@")
        version = DatasetVersion.objects.select_related("dataset").filter(dataset__slug=slug, label=label).first()
        if not at or version is None:
            raise CommandError(f"No version {options['dataset_version']!r}: name it as <dataset slug>@<label>.")
        path = Path(options["subject_keys"])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path} cannot be read as UTF-8 text: {error}.") from None
        try:
            rebuilt = rebuild_membership_filter(actor=SystemActor("rebuild_membership_filters"), version=version, subject_keys=lines)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except RegistryActionRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Rebuilt the filter of {version}: {rebuilt.expected_items} subjects, {rebuilt.size_bits} bits,"
            f" {rebuilt.hash_count} probes, scheme {rebuilt.probe_scheme}, key {rebuilt.key_id}."
        )

    def _list(self):
        configured = get_keyring().by_id
        rows = filters_needing_rebuild()
        if not rows:
            self.stdout.write("Every membership filter uses the current probe scheme and the active key.")
            return
        for row in rows:
            key = "configured" if row.key_id in configured else "NO LONGER CONFIGURED: the filter cannot answer"
            self.stdout.write(
                f"{row.version.dataset.slug}@{row.version.label}: scheme {row.probe_scheme}, key {row.key_id} ({key}),"
                f" {row.expected_items} subjects"
            )
        self.stdout.write(f"{len(rows)} filter(s) to rebuild with --dataset-version DATASET@LABEL --subject-keys FILE.")
