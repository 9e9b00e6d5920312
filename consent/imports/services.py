"""Writes of bulk consent imports: accepting a file, recording it batch by batch, finishing.

A file becomes a ``ConsentImport`` job; a Celery worker records it in batches
of CONSENT_IMPORT_BATCH_ROWS rows (``process_import``). Each batch is one
transaction: its valid rows are recorded together, its bad rows listed with
their line numbers and skipped, the job's position and counts moved, and one
``consent.import_batch`` audit event written, so nothing is half-written and
an interrupted import resumes after its last committed batch. Rows with an
event id are idempotent: importing the same file twice records them once.
"""

import csv
import io
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from compliance.accounts.models import ApiKey
from compliance.audit.actors import SystemActor, describe_actor
from compliance.audit.services import record_event
from consent.imports.reading import EMPTY_FILE, FileRefused, ImportFile, sniff_format
from consent.imports.rows import Catalog, clean_row
from consent.imports.writing import write_batch
from consent.models import ConsentImport, ConsentImportError

UPLOAD_DIRECTORY = "imports"
EXTENSIONS = {".csv": ConsentImport.Format.CSV, ".jsonl": ConsentImport.Format.JSONL, ".ndjson": ConsentImport.Format.JSONL}
FILE_GONE = "The uploaded file is no longer on the server (MEDIA_ROOT/imports/); upload it again."
IMPORT_ACTOR = SystemActor("consent import")
MULTIPART_ALLOWANCE = 64 * 1024


class ImportMovedOn(Exception):
    """Another worker committed a batch of this job since this one started reading: it carries on instead."""


def too_large_message(size: int) -> str:
    """Return what to say about an upload of ``size`` bytes past CONSENT_IMPORT_MAX_BYTES."""
    return (
        f"The file is {size:,} bytes; an import takes at most {settings.CONSENT_IMPORT_MAX_BYTES:,} bytes. "
        "Split it into smaller files."
    )


def body_too_large(content_length: int) -> str:
    """Return why a request body of ``content_length`` bytes is refused unread, or "" when it may be read.

    A multipart body carries a little more than its file (boundaries, the other
    fields): MULTIPART_ALLOWANCE. A file within it but past the limit is refused
    by ``create_import`` once read.
    """
    if content_length > settings.CONSENT_IMPORT_MAX_BYTES + MULTIPART_ALLOWANCE:
        return too_large_message(content_length)
    return ""


def _storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.MEDIA_ROOT)


def stored_path(job: ConsentImport) -> Path:
    """Return where the job's file is kept on disk."""
    return Path(settings.MEDIA_ROOT) / job.stored_name


def _format_of(name: str, chosen: str) -> str:
    if chosen:
        if chosen not in ConsentImport.Format.values:
            raise ValidationError({"format": [f"Unknown format {chosen!r}. Use one of: {', '.join(ConsentImport.Format.values)}."]})
        return chosen
    return EXTENSIONS.get(Path(name).suffix.lower(), "")


# The worker's task, sent by name: services never import tasks (tasks import services).
PROCESS_TASK = "consent.imports.process_consent_import"


def _enqueue(job: ConsentImport) -> None:
    current_app.send_task(PROCESS_TASK, args=[str(job.pk)], queue=settings.CONSENT_IMPORT_QUEUE)


@transaction.atomic
def create_import(*, actor, upload: UploadedFile, file_format: str = "") -> ConsentImport:
    """Store an uploaded CSV or JSON Lines file under a generated name and queue its import; return the job.

    ``file_format`` (csv or jsonl) defaults to the file's extension, else to
    what its first line looks like. Raises ValidationError (``file``) for an
    empty file or one past CONSENT_IMPORT_MAX_BYTES, and (``format``) for an
    unknown format. The worker starts once the transaction commits.
    """
    chosen = _format_of(upload.name or "", str(file_format or "").strip().lower())
    if not upload.size:
        raise ValidationError({"file": [EMPTY_FILE]})
    if upload.size > settings.CONSENT_IMPORT_MAX_BYTES:
        raise ValidationError({"file": [too_large_message(upload.size)]})
    job_id = uuid.uuid4()
    stored_name = _storage().save(f"{UPLOAD_DIRECTORY}/{job_id.hex}.upload", upload)
    try:
        with transaction.atomic():
            job = ConsentImport.objects.create(
                id=job_id,
                file_format=chosen or sniff_format(Path(settings.MEDIA_ROOT) / stored_name),
                file_name=Path(upload.name or "upload").name[:255],
                stored_name=stored_name,
                size_bytes=upload.size,
                created_by=None if isinstance(actor, ApiKey) or not getattr(actor, "pk", None) else actor,
                created_by_key=actor if isinstance(actor, ApiKey) else None,
                requested_by=describe_actor(actor)[2],
            )
            record_event(
                actor=actor,
                action="consent.import_requested",
                target=job,
                data={"file_name": job.file_name, "size_bytes": job.size_bytes, "format": job.file_format},
            )
    except BaseException:
        _storage().delete(stored_name)
        raise
    transaction.on_commit(lambda: _enqueue(job))
    return job


def _actor(job: ConsentImport):
    return job.created_by or job.created_by_key or IMPORT_ACTOR


@transaction.atomic
def _start(job_id) -> ConsentImport | None:
    job = ConsentImport.objects.select_for_update(of=("self",)).select_related("created_by", "created_by_key").filter(pk=job_id).first()
    if job is None or job.finished:
        return None
    if job.status == ConsentImport.Status.QUEUED:
        job.status = ConsentImport.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
        record_event(actor=_actor(job), action="consent.import_started", target=job, data={"file_name": job.file_name})
    return job


def _end(job: ConsentImport, *, status: str, failure: str = "") -> ConsentImport:
    job.status = status
    job.failure = failure
    job.finished_at = timezone.now()
    if status == ConsentImport.Status.COMPLETED:
        job.rows_total = job.rows_done
    job.save(update_fields=["status", "failure", "finished_at", "rows_total"])
    record_event(
        actor=_actor(job),
        action=f"consent.import_{status}",
        target=job,
        data={
            "rows_total": job.rows_total,
            "rows_recorded": job.rows_recorded,
            "rows_already_recorded": job.rows_already_recorded,
            "rows_failed": job.rows_failed,
            "subjects_created": job.subjects_created,
            "failure": failure,
        },
    )
    # The file holds personal data and its rows are now recorded or reported: it is not kept.
    transaction.on_commit(lambda: _storage().delete(job.stored_name))
    return job


@transaction.atomic
def _finish(job_id, *, failure: str = "") -> ConsentImport:
    job = ConsentImport.objects.select_for_update(of=("self",)).select_related("created_by", "created_by_key").get(pk=job_id)
    if job.finished:
        return job
    status = ConsentImport.Status.FAILED if failure else ConsentImport.Status.COMPLETED
    return _end(job, status=status, failure=failure)


@transaction.atomic
def _commit_batch(job_id, rows: list, *, actor, start: tuple[int, int], end: tuple[int, int]) -> ConsentImport:
    """Record one batch of checked rows and move the job past it, or raise ImportMovedOn."""
    locked = ConsentImport.objects.select_for_update().get(pk=job_id)
    if locked.status != ConsentImport.Status.RUNNING or (locked.bytes_done, locked.lines_done) != start:
        raise ImportMovedOn
    now = timezone.now()
    failed = [(row.line, row.reason) for row in rows if isinstance(row, ConsentImportError)]
    checked = [row for row in rows if not isinstance(row, ConsentImportError)]
    outcome = write_batch(checked, recorded_by=describe_actor(actor)[2], now=now)
    failed = sorted(failed + outcome.failed)
    ConsentImportError.objects.bulk_create(ConsentImportError(job=locked, line=line, reason=reason[:1000]) for line, reason in failed)
    locked.bytes_done, locked.lines_done = end
    locked.rows_done += len(rows)
    locked.rows_recorded += outcome.recorded
    locked.rows_already_recorded += outcome.already_recorded
    locked.rows_failed += len(failed)
    locked.subjects_created += outcome.subjects_created
    locked.save(
        update_fields=[
            "bytes_done",
            "lines_done",
            "rows_done",
            "rows_recorded",
            "rows_already_recorded",
            "rows_failed",
            "subjects_created",
        ]
    )
    if rows:
        record_event(
            actor=actor,
            action="consent.import_batch",
            target=locked,
            data={
                "first_line": rows[0].line,
                "last_line": rows[-1].line,
                "recorded": outcome.recorded,
                "already_recorded": outcome.already_recorded,
                "failed": len(failed),
                "subjects_created": outcome.subjects_created,
            },
        )
    return locked


def _checked(raw_rows: list, *, catalog: Catalog) -> list:
    """Return each row checked: an ImportRow, or an unsaved ConsentImportError saying why it is skipped."""
    now = timezone.now()
    checked = []
    for raw in raw_rows:
        result = clean_row(raw, catalog=catalog, now=now)
        checked.append(ConsentImportError(line=raw.line, reason=result) if isinstance(result, str) else result)
    return checked


def _checked_batches(file: ImportFile, size: int) -> Iterator[tuple[list, tuple[int, int], int]]:
    """Yield each batch of the file checked, with the position after it and how many rows it read.

    The next batch is read and checked in a thread while the caller writes the
    current one: the database and the parsing each keep a processor busy.
    """
    rows = file.rows()

    def read(catalog: Catalog) -> tuple[list, tuple[int, int], int]:
        batch = list(islice(rows, size))
        return _checked(batch, catalog=catalog), (file.offset, file.line), len(batch)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="consent-import-reader") as reader:
        pending = reader.submit(read, Catalog.load())
        while True:
            checked, reached, count = pending.result()
            if count == size:
                pending = reader.submit(read, Catalog.load())
            yield checked, reached, count
            if count < size:
                return


def process_import(*, job_id, time_budget: float | None = None) -> ConsentImport | None:
    """Record the job's file from where it stands, batch by batch; return the job, or None if gone.

    Stops at a batch boundary once ``time_budget`` seconds have passed, with
    the job still running (the caller queues the rest); otherwise runs to the
    end of the file and completes the job. A file that cannot be read at all
    (empty, UTF-16, a CSV header without the required columns, deleted) fails
    the job with the reason. Each batch is atomic (see the module docstring).
    """
    job = _start(job_id)
    if job is None:
        return ConsentImport.objects.filter(pk=job_id).first()
    deadline = None if time_budget is None else time.monotonic() + time_budget
    actor = _actor(job)
    try:
        with ImportFile(stored_path(job), job.file_format) as file:
            file.resume_at(offset=job.bytes_done, line=job.lines_done)
            position = (job.bytes_done, job.lines_done)
            size = settings.CONSENT_IMPORT_BATCH_ROWS
            for rows, reached, count in _checked_batches(file, size):
                job = _commit_batch(job_id, rows, actor=actor, start=position, end=reached)
                position = reached
                if deadline is not None and time.monotonic() >= deadline and count == size:
                    return job
    except FileRefused as refusal:
        return _finish(job_id, failure=str(refusal))
    except FileNotFoundError:
        return _finish(job_id, failure=FILE_GONE)
    except ImportMovedOn:
        return ConsentImport.objects.get(pk=job_id)
    return _finish(job_id)


def _error_report(job_id) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("line", "reason"))
    rows = ConsentImportError.objects.filter(job_id=job_id).order_by("line").values_list("line", "reason")
    for row in rows.iterator(chunk_size=2000):
        writer.writerow(row)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@transaction.atomic
def export_import_errors(*, actor, job: ConsentImport) -> Iterator[str]:
    """Return the job's error report (CSV: line, reason; every skipped row) as text chunks, and audit the download."""
    record_event(actor=actor, action="consent.import_errors_exported", target=job, data={"rows_failed": job.rows_failed})
    return _error_report(job.pk)
