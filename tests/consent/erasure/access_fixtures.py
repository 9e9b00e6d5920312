"""Fixtures for access requests: an isolated archive root, requests filed and verified through the services.

Import them into a test module with the stores they read
(``from tests.consent.erasure.access_fixtures import ...  # noqa: F401``).
"""

import io
import json
import zipfile

import pytest

from consent.erasure import access_engine, access_services


@pytest.fixture
def access_root(tmp_path, settings):
    root = tmp_path / "access-exports"
    settings.ACCESS_EXPORT_ROOT = root
    return root


@pytest.fixture
def file_access(dpo, access_root):
    """``file_access(subject=…)`` or ``file_access(identifiers={…})`` files a browser access request as the DPO."""

    def build(**fields):
        fields.setdefault("source", "browser")
        return access_services.receive_access_request(actor=dpo, **fields)

    return build


@pytest.fixture
def started(dpo, django_capture_on_commit_callbacks):
    """``started(request)`` verifies the request (which starts the export) without sending the tasks."""

    def run(request):
        with django_capture_on_commit_callbacks(execute=False):
            return access_services.verify_access_request(
                actor=dpo, request=request, method="id_document", evidence_note="Passport seen"
            )

    return run


def run_export(request, django_capture_on_commit_callbacks):
    """Read every pending location of ``request`` in this thread, then build its archive; return it fresh."""
    with django_capture_on_commit_callbacks(execute=False):
        for result in request.results.filter(status="pending"):
            access_engine.run_result(result_id=result.pk)
    # Once the archive is built its parts are deleted after commit.
    with django_capture_on_commit_callbacks(execute=True):
        access_engine.assemble_archive(request_id=request.pk)
    request.refresh_from_db()
    return request


def zip_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_json(content: bytes) -> dict[str, object]:
    """Return the archive's JSON members parsed, by name."""
    return {name: json.loads(data) for name, data in zip_members(content).items() if name.endswith(".json")}
