"""Matrix rows for the erasure pages (consent/erasure/urls.py)."""

from compliance.accounts.roles import Role
from compliance.audit.actors import SystemActor
from consent.erasure import services
from consent.services import upsert_subject
from datasets.services import create_dataset
from tests.permission_matrix import ADMIN, STAFF_READERS, UrlCase

SETUP = SystemActor("matrix")
DPO_ONLY = frozenset({Role.DPO.value, ADMIN})


def filed_request(user) -> dict:
    subject = upsert_subject(actor=SETUP, external_id="matrix-subject").subject
    request = services.receive_erasure_request(
        actor=SETUP, subject=subject, identifiers=None, source="browser", requester_contact="by post"
    )
    return {"pk": request.pk}


def _hold(user) -> dict:
    dataset = create_dataset(actor=None, name=f"Held for {user.username}")
    return {"pk": services.set_legal_hold(actor=SETUP, dataset=dataset, reason="Litigation").pk}


def _post(name: str, **kwargs) -> UrlCase:
    # Transitions answer with a redirect back to the request's page, with a message (an empty form is refused there).
    return UrlCase(f"erasure:{name}", allowed=DPO_ONLY, denied=(403,), setup=filed_request, method="post", status=302, **kwargs)


CASES = [
    UrlCase("erasure:request_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("erasure:request_create", allowed=DPO_ONLY, denied=(403,)),
    UrlCase("erasure:request_detail", allowed=STAFF_READERS, denied=(403,), setup=filed_request),
    # Reveal shows the identifiers on its own response: 200 to a POST.
    UrlCase("erasure:request_reveal", allowed=DPO_ONLY, denied=(403,), setup=filed_request, method="post"),
    _post("request_verify"),
    _post("request_approve"),
    _post("request_reject"),
    _post("request_extend"),
    _post("request_pause"),
    _post("request_resume"),
    _post("request_reassign"),
    _post("request_cancel"),
    _post("request_discover"),
    _post("request_retry"),
    # A request that is not completed has no certificate: back to its page with the reason.
    UrlCase("erasure:request_certificate", allowed=STAFF_READERS, denied=(403,), setup=filed_request, status=302),
    UrlCase("erasure:hold_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("erasure:hold_create", allowed=DPO_ONLY, denied=(403,)),
    UrlCase("erasure:hold_release", allowed=DPO_ONLY, denied=(403,), setup=_hold, method="post", status=302),
]


def filed_access_request(user) -> dict:
    from consent.erasure import access_services

    subject = upsert_subject(actor=SETUP, external_id="matrix-subject").subject
    request = access_services.receive_access_request(actor=SETUP, subject=subject, source="browser")
    return {"pk": request.pk}


def _access_post(name: str) -> UrlCase:
    return UrlCase(f"erasure:{name}", allowed=DPO_ONLY, denied=(403,), setup=filed_access_request, method="post", status=302)


CASES += [
    UrlCase("erasure:access_list", allowed=STAFF_READERS, denied=(403,)),
    UrlCase("erasure:access_create", allowed=DPO_ONLY, denied=(403,)),
    UrlCase("erasure:access_detail", allowed=STAFF_READERS, denied=(403,), setup=filed_access_request),
    # Reveal shows the identifiers on its own response: 200 to a POST.
    UrlCase("erasure:access_reveal", allowed=DPO_ONLY, denied=(403,), setup=filed_access_request, method="post"),
    _access_post("access_verify"),
    _access_post("access_reject"),
    _access_post("access_retry"),
    _access_post("access_extend"),
    _access_post("access_pause"),
    _access_post("access_resume"),
    _access_post("access_reassign"),
    # A request that is not ready has no archive: back to its page with the reason.
    UrlCase("erasure:access_download", allowed=DPO_ONLY, denied=(403,), setup=filed_access_request, status=302),
]
