"""Helpers for the import tests: files to upload, and imports run through the services as the worker runs them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from consent.imports import services
from consent.models import ConsentImport

HEADER = "subject,purpose,status,notice_version,collection_method,occurred_at,expires_at,event_id\n"


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    """Return a CSV file's bytes: the header, then each row on its own line."""
    return (header + "".join(f"{row}\n" for row in rows)).encode("utf-8")


def upload(content: bytes, name: str = "consents.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def run_import(dpo, purpose):
    """``run_import(content, name=…, actor=…)`` stores the file, records it to the end and returns the job."""

    def run(content: bytes, name: str = "consents.csv", actor=None, file_format: str = "") -> ConsentImport:
        job = services.create_import(actor=actor or dpo, upload=upload(content, name), file_format=file_format)
        services.process_import(job_id=job.pk)
        job.refresh_from_db()
        return job

    return run


def reasons(job: ConsentImport) -> list[tuple[int, str]]:
    """Return the job's skipped rows as (line, reason), by line."""
    return list(job.row_errors.order_by("line").values_list("line", "reason"))


def queued_imports(count: int, *, requested_by) -> None:
    """Create ``count`` queued imports by ``requested_by`` in one query (for lists; no file behind them)."""
    ConsentImport.objects.bulk_create(
        ConsentImport(
            file_format="csv",
            file_name=f"consents-{number}.csv",
            stored_name=f"imports/{number}.upload",
            size_bytes=10,
            requested_by=requested_by.get_username(),
            created_by=requested_by,
        )
        for number in range(count)
    )
