"""Fixtures for the controls tests: small fixture catalogs, a loaded demo framework, controls, assessments, evidence."""

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.controls import services
from compliance.controls.loader import load_catalogs
from compliance.controls.models import Framework, Requirement

FIXTURES = Path(__file__).resolve().parent / "fixtures"
V1 = FIXTURES / "v1"
V2 = FIXTURES / "v2"
CONTROLS_FILE = FIXTURES / "controls" / "controls.yaml"
LOADER = SystemActor("tests")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def load(directory: Path = V1, controls_file: Path | None = CONTROLS_FILE):
    """Load the fixture catalogs in ``directory`` (and the fixture control set); return the summary."""
    return load_catalogs(actor=LOADER, directory=directory, controls_file=controls_file)


@pytest.fixture
def framework(db) -> Framework:
    """The demo fixture framework, version 1, with its two fixture controls."""
    load()
    return Framework.objects.get(code="demo")


@pytest.fixture
def manager(make_user):
    return make_user(Role.COMPLIANCE_MANAGER)


def requirement(ref: str, code: str = "demo") -> Requirement:
    return Requirement.objects.get(framework__code=code, ref=ref)


def make_assessment(framework: Framework, owner, **kwargs):
    values = {
        "title": "Demo assessment",
        "scope": "organisation",
        "period_start": date(2026, 1, 1),
        "period_end": date(2099, 12, 31),
        **kwargs,
    }
    return services.create_assessment(actor=owner, framework=framework, owner=owner, **values)


def upload(actor, *, content: bytes = PDF, name: str = "policy.pdf", controls=(), requirements=(), **kwargs):
    values = {"title": "Encryption policy", "effective_date": date(2026, 1, 1), **kwargs}
    return services.upload_evidence(
        actor=actor,
        file=SimpleUploadedFile(name, content),
        controls=list(controls),
        requirements=list(requirements),
        **values,
    )
