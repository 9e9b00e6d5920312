"""Matrix rows for the controls pages (compliance/controls/urls/)."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from compliance.controls import services
from compliance.controls.loader import load_catalogs
from compliance.controls.models import Control, Framework, Requirement
from tests.compliance.controls.conftest import CONTROLS_FILE, PDF, V1
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

SETUP = SystemActor("matrix")
MANAGERS = frozenset({Role.COMPLIANCE_MANAGER.value, ADMIN})


def _framework() -> Framework:
    load_catalogs(actor=SETUP, directory=V1, controls_file=CONTROLS_FILE)
    return Framework.objects.get(code="demo")


def framework(user) -> dict:
    return {"code": _framework().code}


def requirement(user) -> dict:
    _framework()
    return {"pk": Requirement.objects.get(ref="Art. 1(1)").pk}


def control(user) -> dict:
    _framework()
    return {"code": Control.objects.get(code="CTL-ENC-01").code}


def _assessment(user):
    return services.create_assessment(
        actor=user,
        framework=_framework(),
        title="Matrix assessment",
        scope="organisation",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        owner=user,
    )


def assessment(user) -> dict:
    return {"pk": _assessment(user).pk}


def item(user) -> dict:
    created = _assessment(user)
    return {"pk": created.pk, "item_pk": created.items.first().pk}


def evidence(user) -> dict:
    _framework()
    uploaded = services.upload_evidence(
        actor=user,
        file=SimpleUploadedFile("policy.pdf", PDF),
        title="Matrix evidence",
        effective_date=date(2026, 1, 1),
        controls=[Control.objects.get(code="CTL-ENC-01")],
    )
    return {"uid": uploaded.uid}


CASES = [
    UrlCase("controls:framework_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("controls:framework_detail", allowed=STAFF_READERS, denied=(403,), setup=framework),
    UrlCase("controls:requirement_detail", allowed=STAFF_READERS, denied=(403,), setup=requirement),
    UrlCase("controls:control_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("controls:control_create", allowed=MANAGERS, denied=(403,)),
    UrlCase("controls:control_detail", allowed=STAFF_READERS, denied=(403,), setup=control),
    UrlCase("controls:control_edit", allowed=MANAGERS, denied=(403,), setup=control),
    UrlCase("controls:control_mapping", allowed=MANAGERS, denied=(403,), setup=control),
    # An empty removal comes back to the mapping editor with a message.
    UrlCase("controls:control_unmap", allowed=MANAGERS, denied=(403,), setup=control, method="post", status=302),
    UrlCase("controls:assessment_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("controls:assessment_create", allowed=MANAGERS, denied=(403,)),
    UrlCase("controls:assessment_detail", allowed=STAFF_READERS, denied=(403,), setup=assessment),
    # An empty bulk update is refused on the assessment page: 400 with the reason.
    UrlCase("controls:assessment_bulk_update", allowed=MANAGERS, denied=(403,), setup=assessment, method="post", status=400),
    UrlCase("controls:item_detail", allowed=STAFF_READERS, denied=(403,), setup=item),
    UrlCase("controls:evidence_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("controls:evidence_upload", allowed=MANAGERS, denied=(403,)),
    UrlCase("controls:evidence_detail", allowed=STAFF_READERS, denied=(403,), setup=evidence),
    UrlCase("controls:evidence_edit", allowed=MANAGERS, denied=(403,), setup=evidence),
    UrlCase("controls:evidence_download", allowed=STAFF_READERS, denied=(403,), setup=evidence),
]

# --- Automated checks (compliance/controls/urls/checks.py) -----------------------------------
CASES += [
    UrlCase("controls:check_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("controls:check_detail", allowed=STAFF_READERS, denied=(403,), setup=lambda user: {"key": "datasets.owner_assigned"}),
    # Queues a run in the worker after commit, then back to the list with a message.
    UrlCase("controls:check_run", allowed=MANAGERS, denied=(403,), method="post", status=302),
]
