"""Signing in and out, MFA enrolment and verification, account security, user management, API keys."""

from functools import wraps

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.accounts import otp, selectors, services, sessions
from compliance.accounts.forms import (
    ApiKeyCreateForm,
    LoginForm,
    TokenForm,
    UserCreateForm,
    UserSearchForm,
    UserUpdateForm,
)
from compliance.accounts.middleware import mfa_not_required

FRESH_BACKUP_CODES_KEY = "custos_fresh_backup_codes"
USERS_PER_PAGE = 50
API_KEYS_PER_PAGE = 50

EXPIRY_MESSAGES = {
    "idle": "You were signed out after {minutes} minutes without activity.",
    "absolute": "You were signed out: sessions last at most {hours} hours.",
    "access_ended": "Your access has ended.",
}
INVALID_ENROLMENT_CODE = "That code is not valid. Check the time on your phone and try the current code."
INVALID_CODE = "That code is not valid."

manage_users_required = permission_required("accounts.manage_users", raise_exception=True)


def _next_param(request) -> str | None:
    """Return the request's ``next`` (form field or query) if it stays on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def _safe_next(request, default: str = "home") -> str:
    """Return the safe ``next`` URL of the request, else ``default``'s URL."""
    return _next_param(request) or reverse(default)


def _with_next(url_name: str, request) -> str:
    """Return ``url_name``'s URL carrying the request's safe ``next`` along."""
    next_url = _next_param(request)
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- Signing in and out ------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Username and password, then the MFA middleware takes over (enrolment or verification)."""

    form_class = LoginForm
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reason = self.request.GET.get("expired", "")
        message = EXPIRY_MESSAGES.get(reason, "")
        context["expired_message"] = message.format(
            minutes=int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60),
            hours=int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600),
        )
        return context

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "access_ended"):
            services.record_login_refused(user=form.get_user(), reason="access_ended")
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """End the session on the server (POST only) and return to the sign-in page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You are signed out.")
        return response


login_view = mfa_not_required(LoginView.as_view())
logout_view = mfa_not_required(LogoutView.as_view())


# --- MFA ---------------------------------------------------------------------------


def _qr_data_uri(device) -> str:
    uri = otp.provisioning_uri(
        hex_seed=device.encrypted_key, account=device.user.get_username(), digits=device.digits, step=device.step
    )
    return segno.make(uri, error="m", micro=False).svg_data_uri(scale=5, border=2)


def _check_code(form: TokenForm, check, user, invalid_message: str):
    """Run the service ``check`` on the form's code; on failure put the error on the form and return None."""
    try:
        result = check(user=user, token=form.cleaned_data["token"])
    except services.SecondFactorThrottled as error:
        form.add_error("token", str(error))
        return None
    if result is None:
        form.add_error("token", invalid_message)
    return result


@mfa_not_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request):
    """Set up an authenticator app: QR code and secret, confirmed with a current code."""
    if selectors.has_confirmed_totp(user=request.user):
        if request.user.is_verified():
            messages.info(request, "Your authenticator is already set up.")
            return redirect("accounts:security")
        return redirect(_with_next("accounts:mfa_verify", request))
    device = services.begin_totp_enrolment(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolment = _check_code(form, services.confirm_totp_enrolment, request.user, INVALID_ENROLMENT_CODE)
        if enrolment is not None:
            django_otp.login(request, enrolment.device)
            request.session[FRESH_BACKUP_CODES_KEY] = enrolment.backup_codes
            messages.success(request, "Your authenticator app is set up.")
            return redirect(_with_next("accounts:backup_codes", request))
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "qr_data_uri": _qr_data_uri(device),
            "secret": otp.base32_secret(device.encrypted_key),
            "next": _safe_next(request),
        },
    )


@mfa_not_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    """Ask for the second factor: a current TOTP code or an unused backup code."""
    if request.user.is_verified():
        return redirect(_safe_next(request))
    if not selectors.has_confirmed_totp(user=request.user):
        return redirect(_with_next("accounts:mfa_enrol", request))
    form = TokenForm(request.POST or None, accept_backup_codes=True)
    if request.method == "POST" and form.is_valid():
        device = _check_code(form, services.verify_second_factor, request.user, INVALID_CODE)
        if device is not None:
            django_otp.login(request, device)
            return redirect(_safe_next(request))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _safe_next(request)})


@mfa_not_required
@require_GET
def backup_codes(request):
    """Show freshly generated backup codes, once: they are not kept anywhere in clear."""
    codes = request.session.pop(FRESH_BACKUP_CODES_KEY, None)
    if not codes:
        messages.info(request, "Backup codes are shown only once. Generate new ones if you have lost them.")
        return redirect("accounts:security")
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _safe_next(request)})


@require_POST
def backup_codes_regenerate(request):
    """Replace the signed-in user's backup codes and show the new ones once."""
    try:
        codes = services.regenerate_backup_codes(user=request.user)
    except services.AccountActionRefused as error:
        messages.error(request, str(error))
        return redirect("accounts:security")
    request.session[FRESH_BACKUP_CODES_KEY] = codes
    messages.success(request, "New backup codes generated. The old ones no longer work.")
    return redirect("accounts:backup_codes")


# --- Account security ---------------------------------------------------------------


@require_GET
def security(request):
    """The signed-in user's authenticator, backup codes and signed-in browsers."""
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "has_authenticator": selectors.has_confirmed_totp(user=user),
            "backup_code_count": selectors.unused_backup_code_count(user=user),
            "sessions": selectors.active_sessions_for_user(user=user),
            "current_session_key": request.session.session_key,
        },
    )


@require_http_methods(["GET", "POST"])
def password_change(request):
    """Change one's own password (the current one is asked for); other sessions end."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = services.change_password(
            user=request.user,
            new_password=form.cleaned_data["new_password1"],
            current_session_key=request.session.session_key,
        )
        # Keep this browser signed in: the session hash follows the new password,
        # and Django gives the session a new key, which the sessions list follows.
        old_key = request.session.session_key
        request.user.refresh_from_db(fields=["password"])
        update_session_auth_hash(request, request.user)
        sessions.follow_cycled_key(old_key=old_key, new_key=request.session.session_key)
        messages.success(request, f"Your password is changed. {ended} other session(s) were signed out.")
        return redirect("accounts:security")
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def session_end(request, pk: int):
    """End one of the user's other sessions."""
    session = selectors.own_session(user=request.user, pk=pk)
    if session.session_key == request.session.session_key:
        messages.info(request, "This is the session you are using: sign out to end it.")
        return redirect("accounts:security")
    services.end_session(actor=request.user, session=session)
    messages.success(request, "That session has ended.")
    return redirect("accounts:security")


@require_POST
def sessions_end_others(request):
    """End every session of the user but the current one."""
    count = services.end_other_sessions(user=request.user, current_session_key=request.session.session_key)
    messages.success(request, f"Ended {count} other session{'s' if count != 1 else ''}.")
    return redirect("accounts:security")


# --- User management ------------------------------------------------------------------


@manage_users_required
@require_GET
def user_list(request):
    """Every account, searchable by username, with roles, MFA status and access end."""
    search = UserSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(selectors.users_for_admin(user=request.user, search=query), USERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/user_list.html",
        {"search": search, "page": page, "query": query, "page_query": urlencode({"q": query}) if query else ""},
    )


@manage_users_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    """Create an account with roles, an access end date and an initial password."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.create_user(
            actor=request.user,
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            roles=data["roles"],
            access_expires_on=data["access_expires_on"],
            password=data["password"],
        )
        messages.success(request, f"Account {user.get_username()} created.")
        return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_create.html", {"form": form})


@manage_users_required
@require_http_methods(["GET", "POST"])
def user_detail(request, pk: int):
    """One account: change its roles, access end date and active flag; reset its MFA."""
    account = selectors.user_for_admin(user=request.user, pk=pk)
    form = UserUpdateForm.for_user(account, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(
                actor=request.user,
                user=account,
                roles=form.cleaned_data["roles"],
                access_expires_on=form.cleaned_data["access_expires_on"],
                is_active=form.cleaned_data["is_active"],
            )
        except services.AccountActionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Account {account.get_username()} saved.")
            return redirect("accounts:user_detail", pk=account.pk)
    return render(request, "accounts/user_detail.html", {"account": account, "form": form})


@manage_users_required
@require_POST
def user_mfa_reset(request, pk: int):
    """Remove an account's authenticator and backup codes and end its sessions."""
    account = selectors.user_for_admin(user=request.user, pk=pk)
    try:
        services.reset_mfa(actor=request.user, user=account)
    except services.AccountActionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"MFA reset for {account.get_username()}: they set up an authenticator at their next sign-in."
        )
    return redirect("accounts:user_detail", pk=account.pk)


# --- API keys --------------------------------------------------------------------------


def api_key_managers_only(view):
    """Refuse (403) anyone who may not manage API keys: only administrators and DPOs may."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not selectors.can_manage_api_keys(user=request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


@api_key_managers_only
@require_GET
def api_key_list(request):
    """Every API key with its scopes, last use and state; revoke buttons for active keys."""
    page = Paginator(selectors.api_keys_for_user(user=request.user), API_KEYS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/api_key_list.html", {"page": page})


@api_key_managers_only
@require_http_methods(["GET", "POST"])
def api_key_create(request):
    """Create an API key and show it, once, in the response: it is not kept anywhere in clear."""
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, plaintext = services.create_api_key(
            actor=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
        )
        return render(request, "accounts/api_key_created.html", {"key": key, "plaintext": plaintext})
    return render(request, "accounts/api_key_create.html", {"form": form})


@api_key_managers_only
@require_POST
def api_key_revoke(request, pk: int):
    """Revoke an API key: every later request with it is refused."""
    key = selectors.api_key_for_user(user=request.user, pk=pk)
    try:
        services.revoke_api_key(actor=request.user, key=key)
    except services.AccountActionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The {key} is revoked.")
    return redirect("accounts:api_key_list")
