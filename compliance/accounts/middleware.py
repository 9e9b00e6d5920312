"""Request-wide account rules: session lifetime, enforced MFA, no caching of private pages.

Enforcement lives here rather than on each view so that a new page is protected
by default: a view opts out explicitly (``login_not_required``, ``mfa_not_required``).
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from compliance.accounts import sessions
from compliance.accounts.sessions import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from compliance.audit.services import record_event

# last_seen_at in the sessions list is refreshed at most this often, to keep a
# page view from always being a write.
TRACKING_RESOLUTION_SECONDS = 60


def mfa_not_required(view_func):
    """Mark a view reachable by a signed-in user who has not passed TOTP yet."""
    view_func.mfa_required = False
    return view_func


class SessionLifetimeMiddleware:
    """End sessions idle for SESSION_IDLE_TIMEOUT or older than SESSION_ABSOLUTE_TIMEOUT,
    and sessions of accounts whose access has ended (an auditor past their end date)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            reason = self._expiry_reason(request, user)
            if reason:
                session_key = request.session.session_key
                request.session.flush()
                sessions.stop_tracking(session_key=session_key)
                record_event(actor=user, action="auth.session_expired", target=user, data={"reason": reason})
                request.user = AnonymousUser()
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                login = reverse(settings.LOGIN_URL)
                query = {"expired": reason}
                # Only a page can be returned to: not a form post, not the sign-in page itself.
                if request.method == "GET" and request.path != login:
                    query["next"] = request.get_full_path()
                return redirect(f"{login}?{urlencode(query)}")
            self._touch(request)
        return self.get_response(request)

    def _expiry_reason(self, request, user) -> str | None:
        now = time.time()
        started = request.session.get(SESSION_STARTED_KEY)
        last_seen = request.session.get(SESSION_LAST_SEEN_KEY, started)
        if user.access_expired():
            return "access_ended"
        if started is None:
            # A session from before tracking (or forged without it): start the clocks now.
            request.session[SESSION_STARTED_KEY] = now
            return None
        if now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
            return "absolute"
        if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT.total_seconds():
            return "idle"
        return None

    def _touch(self, request) -> None:
        now = time.time()
        last_seen = request.session.get(SESSION_LAST_SEEN_KEY) or 0
        request.session[SESSION_LAST_SEEN_KEY] = now
        if now - last_seen >= TRACKING_RESOLUTION_SECONDS:
            sessions.touch(session_key=request.session.session_key)


class MFARequiredMiddleware:
    """Send a signed-in user who must use MFA to enrolment or verification first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        if not getattr(view_func, "login_required", True) or not getattr(view_func, "mfa_required", True):
            return None
        if user.is_verified():
            return None
        from compliance.accounts.selectors import has_confirmed_totp

        has_device = has_confirmed_totp(user=user)
        if not user.requires_mfa and not has_device:
            return None
        target = "accounts:mfa_verify" if has_device else "accounts:mfa_enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


class NoStoreMiddleware:
    """Forbid caching of every page a signed-in user sees (and of the sign-in pages)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and (
            request.user.is_authenticated or request.path.startswith("/accounts/")
        ):
            add_never_cache_headers(response)
        return response
