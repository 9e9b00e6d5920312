"""Reads of consent imports, scoped to the caller.

A person reads every import with the permission to read consent records
(``consent.view_consentevent``: the DPO, compliance managers, auditors); an API
key reads the imports it started. Missing and forbidden answer the same Http404.
"""

import uuid

from django.db.models import QuerySet
from django.http import Http404

from compliance.accounts.models import ApiKey
from consent.models import ConsentImport, ConsentImportError
from consent.selectors import VIEW_EVENT

NO_IMPORT = "No such import."
ERRORS_SHOWN = 100


def imports_for_caller(*, caller) -> QuerySet[ConsentImport]:
    """Return the imports ``caller`` (a user or an API key) may read, newest first."""
    if isinstance(caller, ApiKey):
        return ConsentImport.objects.filter(created_by_key=caller).order_by("-created_at")
    if not getattr(caller, "is_authenticated", False) or not caller.has_perm(VIEW_EVENT):
        return ConsentImport.objects.none()
    return ConsentImport.objects.order_by("-created_at")


def import_for_caller(*, caller, pk) -> ConsentImport:
    """Return import ``pk`` (a UUID) if ``caller`` may read it; Http404 otherwise (missing, malformed or forbidden)."""
    try:
        key = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
    except ValueError:
        raise Http404(NO_IMPORT) from None
    job = imports_for_caller(caller=caller).filter(pk=key).first()
    if job is None:
        raise Http404(NO_IMPORT)
    return job


def first_errors(*, job: ConsentImport, limit: int = ERRORS_SHOWN) -> list[ConsentImportError]:
    """Return the job's first ``limit`` skipped rows, by line."""
    return list(ConsentImportError.objects.filter(job=job).order_by("line")[:limit])
