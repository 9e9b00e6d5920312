"""A dump of the database after seeding holds no secret or identifier in clear."""

import base64

import pytest
from django.core.management import call_command
from django.db import connection

from compliance.accounts import otp
from compliance.accounts.models import User
from consent.models import DataSubject
from tests.conftest import enrol_totp


def dump_database() -> str:
    """Return every row of every table as text, like a plain SQL dump would hold it."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


@pytest.mark.django_db
def test_dump_after_seeding_holds_no_seed_in_clear():
    call_command("seed_demo", verbosity=0)
    devices = [enrol_totp(user) for user in User.objects.all()]
    seeds = [device.encrypted_key for device in devices]
    secrets = [otp.base32_secret(seed) for seed in seeds]

    dump = dump_database()

    assert len(seeds) >= 6
    for seed, secret in zip(seeds, secrets, strict=True):
        assert seed not in dump, "a TOTP seed (hex) is stored in clear"
        assert secret not in dump, "a TOTP seed (base32) is stored in clear"
        assert base64.b64encode(bytes.fromhex(seed)).decode() not in dump


@pytest.mark.django_db
def test_dump_after_seeding_holds_no_subject_identifier_in_clear(settings, tmp_path):
    settings.CONNECTOR_FILESYSTEM_ROOTS = [str(tmp_path)]
    call_command("seed_demo", verbosity=0)

    subjects = list(DataSubject.objects.all())
    identifiers = set()
    for subject in subjects:
        identifiers |= {subject.email, subject.phone, subject.phone.lstrip("+"), subject.name}
        identifiers.add(subject.email.split("@")[0])

    dump = dump_database()

    assert len(subjects) == 40
    leaked = sorted(value for value in identifiers if value in dump)
    assert not leaked, f"identifiers stored in clear: {leaked[:5]}"
