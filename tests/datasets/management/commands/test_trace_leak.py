"""``manage.py trace_leak FILE`` names the share a leaked file came from, or says none matched."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from compliance.audit.models import AuditEvent
from datasets.services import create_share_link
from datasets.watermark import write_watermarked_copy

pytestmark = pytest.mark.django_db


def trace(path) -> str:
    out = io.StringIO()
    call_command("trace_leak", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def link(steward, dataset, make_version, csv_location):
    return create_share_link(
        actor=steward,
        version=make_version(dataset, "v1"),
        recipient_name="Dr Rivera",
        recipient_organisation="Northfield University",
        purpose="churn study",
        expires_at=timezone.now() + timedelta(days=3),
    ).link


def test_it_names_the_share_of_a_generated_leaked_csv(link, tmp_path):
    leaked = tmp_path / "leaked.csv"
    with leaked.open("w", newline="") as handle:
        write_watermarked_copy(link=link, destination=handle)

    output = trace(leaked)

    assert output.startswith(f"{leaked} carries 3 canary row(s) of share link {link.pk}: shop-customers@v1 shared with")
    assert "Dr Rivera (Northfield University)" in output and output.rstrip().endswith("for: churn study")
    event = AuditEvent.objects.get(action="share_link.leak_traced")
    assert event.actor_label == "trace_leak"
    assert event.data["matches"] == [str(link.pk)]
    assert len(event.data["file_sha256"]) == 64


def test_it_says_when_no_share_matches(link, stores):
    assert trace(stores / "customers.csv") == f"No share link's canary rows appear in {stores / 'customers.csv'}.\n"


def test_unreadable_files_are_a_command_error(tmp_path):
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="is not UTF-8 text: only CSV and JSON Lines files can be traced."):
        trace(binary)
    with pytest.raises(CommandError, match="is not a file."):
        trace(tmp_path / "missing.csv")
