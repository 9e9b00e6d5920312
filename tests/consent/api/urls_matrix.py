"""Matrix rows for the consent API (consent/api/urls.py).

People act with their roles' model permissions: the DPO writes, compliance
managers and auditors read, the rest are refused with 403 before anything is
looked up. The matrix probes POST-only endpoints with an empty form, which the
allowed get to parse and refuse (415: the API takes JSON).
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.audit.actors import SystemActor
from consent.imports.services import create_import
from tests.consent.urls_matrix import DPO_ONLY, _purpose_code, _subject
from tests.permission_matrix import STAFF_READERS, UrlCase

SETUP = SystemActor("matrix")


def _import(user) -> dict:
    upload = SimpleUploadedFile("consents.csv", b"subject,purpose,status,collection_method\ns-1,nowhere,refused,paper\n")
    return {"pk": create_import(actor=SETUP, upload=upload).pk}


CASES = [
    UrlCase("api:purpose_list", api=True, allowed=STAFF_READERS, denied=(403,)),
    UrlCase("api:purpose_notices", api=True, allowed=STAFF_READERS, denied=(403,), setup=_purpose_code),
    UrlCase("api:subject_upsert", api=True, method="post", status=415, allowed=DPO_ONLY, denied=(403,)),
    UrlCase("api:subject_detail", api=True, allowed=STAFF_READERS, denied=(403,), setup=_subject),
    UrlCase("api:subject_consents", api=True, allowed=STAFF_READERS, denied=(403,), setup=_subject),
    UrlCase("api:subject_receipt", api=True, allowed=STAFF_READERS, denied=(403,), setup=_subject),
    UrlCase("api:consent_record", api=True, method="post", status=415, allowed=DPO_ONLY, denied=(403,)),
    # Without ?subject=&purpose= those who may check are told what is missing.
    UrlCase("api:consent_check", api=True, status=400, allowed=STAFF_READERS, denied=(403,)),
    UrlCase("api:consent_import_list", api=True, allowed=STAFF_READERS, denied=(403,)),
    UrlCase("api:consent_import_detail", api=True, allowed=STAFF_READERS, denied=(403,), setup=_import),
    UrlCase("api:consent_import_errors", api=True, allowed=STAFF_READERS, denied=(403,), setup=_import),
]
