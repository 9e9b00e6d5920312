"""Audit events for authentication signals Django and django-axes send.

Signals are the only hook these libraries offer; the receivers do nothing but
record the event (and track the session), no domain logic.
"""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from compliance.accounts import sessions
from compliance.audit.services import record_event


@receiver(user_logged_in, dispatch_uid="custos.audit.login")
def audit_login(sender, request, user, **kwargs):
    sessions.start_tracking(request=request, user=user)
    record_event(actor=user, action="auth.login", target=user)


@receiver(user_logged_out, dispatch_uid="custos.audit.logout")
def audit_logout(sender, request, user, **kwargs):
    if user is None:
        return
    sessions.stop_tracking(session_key=request.session.session_key)
    record_event(actor=user, action="auth.logout", target=user)


@receiver(user_login_failed, dispatch_uid="custos.audit.login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    known = get_user_model().objects.filter(username=username).first()
    # The attempted name is kept only when it is an account: a mistyped password
    # pasted into the username box must not land in the audit log.
    record_event(
        actor=None,
        action="auth.login_failed",
        target=known,
        data={"username": username if known else None, "known_account": known is not None},
    )


@receiver(user_locked_out, dispatch_uid="custos.audit.locked_out")
def audit_locked_out(sender, request, username, ip_address, **kwargs):
    known = get_user_model().objects.filter(username=username).first()
    record_event(
        actor=None,
        action="auth.locked_out",
        target=known,
        data={"username": username if known else None, "network": sessions.truncate_ip(ip_address)},
    )


def sync_roles_after_migrate(sender, apps=None, **kwargs):
    """Reload the role groups with their permissions after migrate or flush."""
    from django.apps import apps as global_apps

    from compliance.accounts.roles import sync_role_permissions

    # migrate passes its final project state; flush passes no registry at all.
    sync_role_permissions(apps or global_apps)
