"""Template context shared by every page."""

from django.urls import reverse

from compliance.navigation import items_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not _verified_or_exempt(user):
        return {"nav_items": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    return {
        "nav_items": [
            {"label": item.label, "url": reverse(item.url_name), "current": item.url_name == current}
            for item in items_for(user)
        ]
    }


def _verified_or_exempt(user) -> bool:
    # Until MFA is passed the user sees no navigation: every link would bounce.
    is_verified = getattr(user, "is_verified", lambda: False)
    return is_verified() or not user.requires_mfa
