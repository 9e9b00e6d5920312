"""Recording an import file: rows recorded or skipped with their line and reason, batches, resuming, re-importing."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.audit.models import AuditEvent
from consent.imports import services
from consent.imports.services import ImportMovedOn, stored_path
from consent.models import ConsentEvent, ConsentImport, ConsentState, DataSubject
from consent.services import publish_notice, record_consent
from tests.consent.imports.conftest import HEADER, csv_file, reasons, upload

pytestmark = pytest.mark.django_db


def states() -> dict[tuple[str, str], tuple[str, str | None]]:
    return {
        (state.subject.external_id, state.purpose.code): (state.status, state.notice.version if state.notice else None)
        for state in ConsentState.objects.select_related("subject", "purpose", "notice")
    }


def test_a_csv_file_records_its_consents_creating_unknown_subjects(run_import, dpo, make_subject):
    make_subject("known", jurisdiction="DE")
    job = run_import(
        csv_file(
            "known,marketing,granted,v1,web_form,2025-01-02T10:00:00Z,,ev-1",
            "new-1,marketing,granted,v1,app,2025-01-03T10:00:00+01:00,2026-01-03T10:00:00Z,ev-2",
            "new-1,marketing,withdrawn,,app,2025-02-01T09:00:00Z,,ev-3",
        )
    )

    assert job.status == ConsentImport.Status.COMPLETED
    assert job.failure == ""
    assert (job.rows_total, job.rows_done, job.rows_recorded, job.rows_already_recorded, job.rows_failed) == (3, 3, 3, 0, 0)
    assert job.subjects_created == 1 and job.percent == 100
    assert states() == {("known", "marketing"): ("granted", "v1"), ("new-1", "marketing"): ("withdrawn", "v1")}
    known_grant = ConsentEvent.objects.get(event_id="ev-1")
    assert (known_grant.jurisdiction, known_grant.recorded_by, known_grant.collection_method) == ("DE", "dpo", "web_form")
    assert ConsentEvent.objects.get(event_id="ev-2").expires_at.isoformat() == "2026-01-03T10:00:00+00:00"
    assert DataSubject.objects.get(external_id="new-1").email is None
    assert list(AuditEvent.objects.filter(target_id=str(job.pk)).order_by("sequence").values_list("action", flat=True)) == [
        "consent.import_requested",
        "consent.import_started",
        "consent.import_batch",
        "consent.import_completed",
    ]
    batch = AuditEvent.objects.get(action="consent.import_batch")
    assert batch.data == {"first_line": 2, "last_line": 4, "recorded": 3, "already_recorded": 0, "failed": 0, "subjects_created": 1}
    assert (batch.actor_type, batch.actor_id) == ("user", str(dpo.pk))


def test_the_file_is_stored_under_a_generated_name_and_removed_once_recorded(dpo, purpose, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=False):
        job = services.create_import(actor=dpo, upload=upload(csv_file("a,marketing,refused,,paper,,,"), "../../etc/passwd.csv"))
    assert job.file_name == "passwd.csv" and job.file_format == "csv"
    assert job.stored_name == f"imports/{job.pk.hex}.upload"
    assert stored_path(job).parent == settings.MEDIA_ROOT / "imports"
    assert stored_path(job).read_bytes().startswith(HEADER.encode())

    with django_capture_on_commit_callbacks(execute=True):
        services.process_import(job_id=job.pk)
    assert not stored_path(job).exists()


def test_bad_rows_are_listed_with_their_line_and_reason_and_the_rest_recorded(run_import):
    job = run_import(
        csv_file(
            "ok-1,marketing,granted,v1,web_form,2025-01-02T10:00:00Z,,",
            "bad-purpose,analytics,granted,v1,web_form,2025-01-02T10:00:00Z,,",
            "bad-date,marketing,granted,v1,web_form,02/01/2025,,",
            "naive-date,marketing,granted,v1,web_form,2025-01-02 10:00,,",
            "no-notice,marketing,granted,,web_form,,,",
            "old-notice,marketing,granted,v0,web_form,,,",
            "expired,marketing,expired,,web_form,,,",
            ",marketing,refused,,carrier pigeon,,,",
            "short,marketing",
            "ok-2,marketing,refused,,paper,,,",
        )
    )

    assert job.status == ConsentImport.Status.COMPLETED
    assert (job.rows_done, job.rows_recorded, job.rows_failed) == (10, 2, 8)
    assert reasons(job) == [
        (3, "purpose: No purpose has the code 'analytics'."),
        (
            4,
            "occurred_at: '02/01/2025' is not a date and time: give occurred_at in ISO 8601 with its time zone, "
            "for example 2026-03-01T09:30:00Z.",
        ),
        (5, "occurred_at: Give occurred_at with its time zone, for example 2026-03-01T09:30:00Z."),
        (6, "notice_version: A grant names the notice version the person saw: give notice_version."),
        (7, "notice_version: marketing has no notice version 'v0' (published versions: v1)."),
        (
            8,
            "status: Custos records expiry itself when a consent's expires_at passes; record granted, withdrawn or refused.",
        ),
        (
            9,
            "subject: Give the subject's external id.; collection_method: Unknown collection method 'carrier pigeon'. "
            "Use one of: web_form, app, paper, api, import.",
        ),
        (10, "Line 10 has 2 values but the header names 8 columns."),
    ]
    assert set(DataSubject.objects.values_list("external_id", flat=True)) == {"ok-1", "ok-2"}


def test_re_importing_a_file_records_rows_with_event_ids_once(run_import):
    content = csv_file(
        "s-1,marketing,granted,v1,app,2025-01-02T10:00:00Z,,ev-1",
        "s-2,marketing,refused,,app,2025-01-02T10:00:00Z,,ev-2",
        "s-1,marketing,granted,v1,app,2025-01-02T10:00:00Z,,ev-1",
    )
    first = run_import(content)
    assert (first.rows_recorded, first.rows_already_recorded, first.rows_failed) == (2, 1, 0)

    again = run_import(content)
    assert (again.rows_recorded, again.rows_already_recorded, again.rows_failed, again.subjects_created) == (0, 3, 0, 0)
    assert ConsentEvent.objects.count() == 2


def test_an_event_id_used_for_another_consent_is_refused(run_import, dpo, purpose, make_subject):
    record_consent(actor=dpo, subject=make_subject("s-1"), purpose=purpose, status="refused", collection_method="paper", event_id="ev-1")
    recorded_at = ConsentEvent.objects.get().recorded_at
    job = run_import(
        csv_file(
            "s-1,marketing,granted,v1,app,2025-01-02T10:00:00Z,,ev-1",
            "s-2,marketing,refused,,app,2025-01-02T10:00:00Z,,ev-2",
            "s-3,marketing,refused,,app,2025-01-02T10:00:00Z,,ev-2",
        )
    )

    assert reasons(job) == [
        (
            2,
            f"event_id: The event id 'ev-1' was already used for another consent (recorded {recorded_at:%Y-%m-%d %H:%M} UTC); "
            "give each new event its own id.",
        ),
        (4, "event_id: The event id 'ev-2' is also on line 3 of this file, for another consent; give each new event its own id."),
    ]
    assert not DataSubject.objects.filter(external_id="s-3").exists()


def test_states_move_to_the_newest_event_keeping_the_notice_of_the_grant(run_import, dpo, purpose):
    """Out of order, ties, withdrawals: on both databases the states end as advance_states leaves them."""
    publish_notice(actor=dpo, purpose=purpose, version="v2", text="Offers, again.", effective_at=timezone.now() - timedelta(days=300))
    run_import(
        csv_file(
            "a,marketing,granted,v1,app,2025-01-05T00:00:00Z,,",
            "a,marketing,withdrawn,,app,2025-01-03T00:00:00Z,,",  # older than the grant: history only
            "b,marketing,withdrawn,,app,2025-01-03T00:00:00Z,,",
            "b,marketing,granted,v2,app,2025-01-02T00:00:00Z,,",  # granted under v2, then withdrawn
            "c,marketing,granted,v1,app,2025-01-02T00:00:00Z,,",
            "c,marketing,withdrawn,,app,2025-01-04T00:00:00Z,,",
            "d,marketing,refused,,app,2025-01-02T00:00:00Z,,",
            "d,marketing,granted,v2,app,2025-01-02T00:00:00Z,,",  # a tie: the later line wins
        )
    )
    assert states() == {
        ("a", "marketing"): ("granted", "v1"),
        ("b", "marketing"): ("withdrawn", "v2"),
        ("c", "marketing"): ("withdrawn", "v1"),
        ("d", "marketing"): ("granted", "v2"),
    }
    last = ConsentState.objects.get(subject__external_id="c").last_event
    assert (last.status, last.occurred_at.isoformat()) == ("withdrawn", "2025-01-04T00:00:00+00:00")


def test_a_withdrawal_in_a_later_import_keeps_the_notice_granted_before(run_import):
    run_import(csv_file("s-1,marketing,granted,v1,app,2025-01-05T00:00:00Z,,"))
    run_import(csv_file("s-1,marketing,withdrawn,,app,2025-01-06T00:00:00Z,,", "s-1,marketing,refused,,app,2025-01-04T00:00:00Z,,"))
    assert states() == {("s-1", "marketing"): ("withdrawn", "v1")}


def test_a_later_import_moves_states_only_forward(run_import):
    run_import(csv_file("s-1,marketing,granted,v1,app,2025-01-05T00:00:00Z,,"))
    run_import(csv_file("s-1,marketing,withdrawn,,app,2025-01-01T00:00:00Z,,"))
    assert states() == {("s-1", "marketing"): ("granted", "v1")}
    run_import(csv_file("s-1,marketing,withdrawn,,app,2025-01-06T00:00:00Z,,"))
    assert states() == {("s-1", "marketing"): ("withdrawn", "v1")}


def test_the_jurisdiction_of_a_row_is_the_events_and_a_new_subjects(run_import, make_subject):
    make_subject("known", jurisdiction="FR")
    header = "subject,purpose,status,collection_method,jurisdiction,reason,source_system,ip,user_agent\n"
    job = run_import(
        csv_file(
            "known,marketing,refused,paper,,paper form of 3 March,crm,203.0.113.77,Mozilla/5.0",
            "known,marketing,refused,paper,us-ca,,,,",
            "fresh,marketing,refused,paper,US-CA,,,,",
            header=header,
        )
    )
    assert job.rows_recorded == 3
    first, second, third = ConsentEvent.objects.order_by("-subject__external_id", "jurisdiction")
    assert [(event.subject.external_id, event.jurisdiction) for event in (first, second, third)] == [
        ("known", "FR"),
        ("known", "US-CA"),
        ("fresh", "US-CA"),
    ]
    assert (first.reason, first.source_system, first.evidence_ip) == ("paper form of 3 March", "crm", "203.0.113.0/24")
    assert len(first.evidence_user_agent_hash) == 64
    fresh = DataSubject.objects.get(external_id="fresh")
    assert (fresh.jurisdiction_country, fresh.jurisdiction_region, fresh.regime) == ("US", "CA", "ccpa")


def test_an_inactive_purpose_takes_no_grants_from_an_import(run_import, dpo, purpose):
    from consent.services import update_purpose

    update_purpose(actor=dpo, purpose=purpose, active=False)
    job = run_import(csv_file("s-1,marketing,granted,v1,app,,,", "s-1,marketing,refused,,app,,,"))
    assert reasons(job) == [(2, "purpose: The purpose marketing is inactive: it takes no new consents.")]
    assert job.rows_recorded == 1


# --- batches and resuming ---------------------------------------------------------------------------


def _rows(count: int, start: int = 0) -> list[str]:
    return [f"s-{number},marketing,granted,v1,app,2025-01-02T10:00:00Z,,ev-{number}" for number in range(start, start + count)]


def test_each_batch_commits_on_its_own_and_an_interrupted_import_resumes(dpo, purpose, settings):
    settings.CONSENT_IMPORT_BATCH_ROWS = 3
    rows = _rows(7)
    rows[4] = "s-4,nowhere,granted,v1,app,,,ev-4"
    job = services.create_import(actor=dpo, upload=upload(csv_file(*rows)))

    services.process_import(job_id=job.pk, time_budget=0)
    job.refresh_from_db()
    assert job.status == ConsentImport.Status.RUNNING
    assert (job.rows_done, job.rows_recorded, job.lines_done) == (3, 3, 4)
    assert job.bytes_done == len(csv_file(*rows[:3]))
    assert 0 < job.percent < 100 and job.rows_total is None

    services.process_import(job_id=job.pk, time_budget=0)
    job.refresh_from_db()
    assert (job.rows_done, job.rows_recorded, job.rows_failed) == (6, 5, 1)

    services.process_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ConsentImport.Status.COMPLETED
    assert (job.rows_total, job.rows_recorded, job.rows_failed) == (7, 6, 1)
    assert reasons(job) == [(6, "purpose: No purpose has the code 'nowhere'.")]
    assert ConsentEvent.objects.count() == 6
    assert AuditEvent.objects.filter(action="consent.import_batch", target_id=str(job.pk)).count() == 3
    assert AuditEvent.objects.filter(action="consent.import_started", target_id=str(job.pk)).count() == 1


def test_a_worker_whose_batch_another_worker_committed_stops_without_writing(dpo, purpose, settings):
    settings.CONSENT_IMPORT_BATCH_ROWS = 2
    job = services.create_import(actor=dpo, upload=upload(csv_file(*_rows(4))))
    services.process_import(job_id=job.pk, time_budget=0)

    with pytest.raises(ImportMovedOn):
        services._commit_batch(job.pk, [], actor=dpo, start=(0, 0), end=(10, 2))
    job.refresh_from_db()
    assert job.rows_done == 2


def test_a_finished_import_is_left_alone(run_import):
    job = run_import(csv_file(*_rows(2)))
    assert services.process_import(job_id=job.pk).rows_done == 2
    assert ConsentEvent.objects.count() == 2
    assert services.process_import(job_id="00000000-0000-0000-0000-000000000000") is None


def test_a_batch_costs_the_same_queries_however_many_rows(dpo, purpose, settings):
    settings.CONSENT_IMPORT_BATCH_ROWS = 1000

    def statements(count: int, start: int) -> list[str]:
        job = services.create_import(actor=dpo, upload=upload(csv_file(*_rows(count, start))))
        with CaptureQueriesContext(connection) as captured:
            services.process_import(job_id=job.pk)
        return [query["sql"] for query in captured.captured_queries]

    few, many = statements(10, 0), statements(600, 10)
    assert ConsentEvent.objects.count() == 610
    # Only the domain's advance_states splits its INSERT of new states, under SQLite's limit on parameters.
    is_state_insert = re.compile(r'^INSERT INTO "?consent_consentstate"?').match
    assert len([sql for sql in many if not is_state_insert(sql)]) == len([sql for sql in few if not is_state_insert(sql)])
    assert len([sql for sql in many if is_state_insert(sql)]) <= 600 // 100


# --- uploads --------------------------------------------------------------------------------------


def test_the_format_comes_from_the_choice_the_extension_or_the_content(dpo, purpose):
    jsonl = b'{"subject": "s-1", "purpose": "marketing", "status": "refused", "collection_method": "app"}\n'
    assert services.create_import(actor=dpo, upload=upload(jsonl, "export.ndjson")).file_format == "jsonl"
    assert services.create_import(actor=dpo, upload=upload(jsonl, "export.txt")).file_format == "jsonl"
    assert services.create_import(actor=dpo, upload=upload(csv_file(), "export")).file_format == "csv"
    assert services.create_import(actor=dpo, upload=upload(jsonl, "export.csv"), file_format="jsonl").file_format == "jsonl"
    with pytest.raises(ValidationError) as refused:
        services.create_import(actor=dpo, upload=upload(jsonl), file_format="xlsx")
    assert refused.value.message_dict == {"format": ["Unknown format 'xlsx'. Use one of: csv, jsonl."]}


def test_an_empty_or_oversized_upload_is_refused_and_nothing_kept(dpo, purpose, settings):
    with pytest.raises(ValidationError) as empty:
        services.create_import(actor=dpo, upload=upload(b""))
    assert empty.value.message_dict == {"file": ["The file is empty: it has no rows to import."]}

    settings.CONSENT_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as large:
        services.create_import(actor=dpo, upload=upload(b"x" * 101))
    assert large.value.message_dict == {
        "file": ["The file is 101 bytes; an import takes at most 100 bytes. Split it into smaller files."]
    }
    assert not ConsentImport.objects.exists()
    assert not (settings.MEDIA_ROOT / "imports").exists() or not any((settings.MEDIA_ROOT / "imports").iterdir())


def test_a_file_removed_from_the_server_fails_the_import_saying_so(dpo, purpose):
    job = services.create_import(actor=dpo, upload=upload(csv_file(*_rows(1))))
    stored_path(job).unlink()
    job = services.process_import(job_id=job.pk)
    assert job.status == ConsentImport.Status.FAILED
    assert job.failure == "The uploaded file is no longer on the server (MEDIA_ROOT/imports/); upload it again."
    assert AuditEvent.objects.get(action="consent.import_failed").data["failure"] == job.failure


def test_the_error_report_lists_every_skipped_row_and_its_download_is_audited(run_import, dpo):
    job = run_import(csv_file(*[f"s-{n},nowhere,refused,,app,,," for n in range(3)], "ok,marketing,refused,,app,,,"))
    report = "".join(services.export_import_errors(actor=dpo, job=job))
    assert report.splitlines() == [
        "line,reason",
        "2,purpose: No purpose has the code 'nowhere'.",
        "3,purpose: No purpose has the code 'nowhere'.",
        "4,purpose: No purpose has the code 'nowhere'.",
    ]
    event = AuditEvent.objects.get(action="consent.import_errors_exported")
    assert (event.target_id, event.data) == (str(job.pk), {"rows_failed": 3})
