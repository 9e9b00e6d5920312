"""A dump of the database after seeding holds no secret or identifier in clear."""

import base64

import pytest
from django.core.management import call_command
from django.db import connection

from compliance.accounts import otp
from compliance.accounts.models import User
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
