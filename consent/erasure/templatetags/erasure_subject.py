"""The subject page's erasure section, rendered by the rights app.

The consent app sits below the rights requests and never imports them, so its
subject page (``consent/subject_detail.html``) asks for this section by tag:
``{% load erasure_subject %}{% subject_erasure_requests subject %}``.
"""

from django import template

from consent.erasure import selectors

register = template.Library()


@register.inclusion_tag("erasure/_subject_requests.html", takes_context=True)
def subject_erasure_requests(context, subject) -> dict:
    """Render the erasure requests naming ``subject`` that the signed-in user may see (a scoped selector)."""
    return {"requests": selectors.requests_for_subject(user=context.request.user, subject=subject)}
