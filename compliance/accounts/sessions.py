"""Tracking signed-in sessions so a user can list and end them."""

import ipaddress

from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from compliance.accounts.models import UserSession

# Keys in the session itself: when it started and when it was last seen (read by the middleware's timeouts).
SESSION_STARTED_KEY = "custos_started_at"
SESSION_LAST_SEEN_KEY = "custos_last_seen_at"


def truncate_ip(address: str | None) -> str:
    """Return the /24 (IPv4) or /48 (IPv6) network of ``address``, or '' if it is not one."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def start_tracking(*, request, user) -> UserSession:
    """Record the session a login just created (Django cycled its key at login)."""
    import time

    now = time.time()
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_LAST_SEEN_KEY] = now
    if not request.session.session_key:
        request.session.save()
    session, _ = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "last_seen_at": timezone.now(),
            "ended_at": None,
            "ip_prefix": truncate_ip(request.META.get("REMOTE_ADDR")),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )
    return session


def stop_tracking(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(ended_at=timezone.now())


def end_session_on_server(session_key: str) -> None:
    """Delete the server-side session so its cookie no longer signs anyone in."""
    SessionStore(session_key=session_key).delete()
    stop_tracking(session_key=session_key)


def touch(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(last_seen_at=timezone.now())


def follow_cycled_key(*, old_key: str | None, new_key: str | None) -> None:
    """Keep tracking a session whose key Django cycled (for example after a password change)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)
