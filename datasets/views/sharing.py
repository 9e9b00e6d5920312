"""Share links: the "Share links" tab of a dataset, issuing and revoking links, and the recipient's download.

The token travels only in the link the recipient receives: it is shown once
when the link is issued and is stored hashed. The download page answers
without a session and keeps the token out of Django's request log.
"""

import io
import logging
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.accounts.middleware import mfa_not_required
from datasets import permissions, selectors, services
from datasets.forms.common import call_service
from datasets.forms.sharing import ShareLinkForm, ShareRevokeForm
from datasets.models import FileFormat, ShareState
from datasets.services import RegistryActionRefused, ShareLinkUnavailable
from datasets.services.sharing import unavailable_message
from datasets.watermark import write_watermarked_copy

logger = logging.getLogger("custos.sharing")

LINKS_PER_PAGE = 50
FILE_UNAVAILABLE = "The shared file is not available: ask the sender."
CONTENT_TYPES = {FileFormat.CSV: "text/csv; charset=utf-8", FileFormat.JSONL: "application/x-ndjson; charset=utf-8"}


def _can_share(user, dataset) -> bool:
    return permissions.can_change_dataset(user, dataset) and not dataset.is_archived


@require_GET
def dataset_links(request, dataset_slug: str):
    """The dataset's share links: recipient, purpose, expiry, downloads and state."""
    dataset = selectors.dataset_for_user(user=request.user, slug=dataset_slug)
    context = {
        "dataset": dataset,
        "page": Paginator(selectors.share_links_for_dataset(dataset=dataset), LINKS_PER_PAGE).get_page(request.GET.get("page")),
        "can_share": _can_share(request.user, dataset),
        "can_revoke": permissions.can_change_dataset(request.user, dataset),
    }
    return render(request, "datasets/sharing/dataset_links.html", context)


@require_http_methods(["GET", "POST"])
def share_create(request, dataset_slug: str):
    """Issue a share link for one version's file; its URL is shown on this response only."""
    dataset = selectors.dataset_for_user(user=request.user, slug=dataset_slug)
    permissions.require(
        request.user, lambda person: permissions.can_change_dataset(person, dataset), f"You may not edit dataset {dataset.slug!r}."
    )
    form = ShareLinkForm(request.POST or None, dataset=dataset)
    if request.method == "POST" and form.is_valid():
        issued = call_service(form, services.create_share_link, actor=request.user, **form.cleaned_data)
        if issued is not None:
            url = request.build_absolute_uri(reverse("sharing:download", kwargs={"token": issued.token}))
            return render(request, "datasets/sharing/link_created.html", {"dataset": dataset, "link": issued.link, "url": url})
    return render(request, "datasets/sharing/link_create.html", {"dataset": dataset, "form": form})


@require_POST
def share_revoke(request, pk):
    """End a share link now; later downloads answer 410."""
    link = selectors.share_link_for_user(user=request.user, pk=pk)
    form = ShareRevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.revoke_share_link(actor=request.user, link=link, reason=reason)
    except RegistryActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"The link for {link.recipient_name} ({link.recipient_organisation}) is revoked.")
    return redirect("sharing:dataset_links", dataset_slug=link.version.dataset.slug)


def _unlogged(response):
    # Django's request log writes the path of every 4xx and 5xx answer, and here the path holds the token.
    response._has_been_logged = True
    return response


def _recipient_page(request, *, title: str, message: str, status: int):
    return _unlogged(render(request, "datasets/sharing/recipient_message.html", {"title": title, "message": message}, status=status))


def _watermarked_copy(link):
    """Return a temporary file (deleted when closed) holding the link's watermarked copy, read from the start."""
    handle = tempfile.TemporaryFile()
    try:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        write_watermarked_copy(link=link, destination=text)
        text.flush()
        text.detach()
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


@login_not_required
@mfa_not_required
@require_http_methods(["GET", "POST"])
def download(request, token: str):
    """The recipient's download: the version's file with the recipient's canary rows, counted and audited.

    GET shows what the link offers and a Download button; only the POST serves
    and counts the file. Mail scanners and link previews fetch links with GET, and
    would otherwise spend the recipient's downloads before they click.
    A revoked, expired or used-up link answers 410 saying which; an unknown
    token 404; a file that cannot be read 503, without counting a download.
    """
    try:
        link = selectors.share_link_for_token(token=token)
    except Http404:
        return _recipient_page(
            request, title="Unknown link", message="This share link does not exist. Check that the whole link was copied.", status=404
        )
    state = link.state
    if state != ShareState.ACTIVE:
        return _recipient_page(request, title="Link no longer valid", message=unavailable_message(link, state), status=410)
    if request.method == "GET":
        return _unlogged(render(request, "datasets/sharing/recipient_landing.html", {"link": link}))
    try:
        copy = _watermarked_copy(link)
    except (OSError, ValueError, KeyError, ValidationError) as error:
        logger.warning("Share link %s: the file of location %s cannot be served: %s", link.pk, link.location_id, error)
        return _recipient_page(request, title="File not available", message=FILE_UNAVAILABLE, status=503)
    try:
        services.record_share_download(link=link)
    except ShareLinkUnavailable as refusal:
        copy.close()
        return _recipient_page(request, title="Link no longer valid", message=refusal.message, status=410)
    version = link.version
    response = FileResponse(
        copy,
        as_attachment=True,
        filename=f"{version.dataset.slug}-{version.label}.{link.location.format}",
        content_type=CONTENT_TYPES.get(link.location.format, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
