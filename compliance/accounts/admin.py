"""Django admin for accounts: every change goes through the accounts services, which audit it.

The whole admin site requires a session verified with a second factor
(django-otp's OTPAdminSite); the MFA middleware enforces the same before any
admin page is reached.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django_otp.admin import OTPAdminSite

from compliance.accounts.models import TOTPDevice, User, UserSession
from compliance.accounts.roles import Role
from compliance.accounts.services import AccountActionRefused, reset_mfa, update_user, validate_access

admin.site.__class__ = OTPAdminSite


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only: every write goes through a service, which audits it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class UserAdminForm(forms.ModelForm):
    """Roles, access end date and activation, checked as the in-app form checks them."""

    class Meta:
        model = User
        fields = ["groups", "access_expires_on", "is_active"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["groups"].label = "Roles"
        self.fields["groups"].queryset = Group.objects.filter(name__in=Role.values).order_by("name")

    def clean(self):
        cleaned = super().clean()
        roles = [group.name for group in cleaned.get("groups") or []]
        validate_access(roles=roles, access_expires_on=cleaned.get("access_expires_on"), creating=False)
        if self.actor is not None and self.instance.pk == self.actor.pk and not cleaned.get("is_active", True):
            raise ValidationError("You cannot deactivate your own account. Ask another administrator.")
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts: roles, access end date and activation change through the accounts services.

    The admin form only collects the input; ``update_user`` writes it and records
    the audit events, exactly as the in-app page does. Names and passwords are
    not edited here; accounts are created in the app.
    """

    form = UserAdminForm
    list_display = ["username", "email", "roles", "access_expires_on", "is_active", "is_superuser", "last_login"]
    list_filter = ["groups", "is_active", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["username", "manage_in_app"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["groups", "access_expires_on", "is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = [
        "username",
        "manage_in_app",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    filter_horizontal = []
    actions = ["reset_mfa_action"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return partial_form(form_class, actor=request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("accounts.manage_users")

    def user_change_password(self, request, id, form_url=""):
        # Passwords are their owners' own; an administrator resets MFA, never a password.
        raise PermissionDenied

    def save_model(self, request, obj, form, change):
        # Nothing is written here: save_related hands the whole change to the service.
        return None

    def save_related(self, request, form, formsets, change):
        update_user(
            actor=request.user,
            user=form.instance,
            roles=[group.name for group in form.cleaned_data["groups"]],
            access_expires_on=form.cleaned_data["access_expires_on"],
            is_active=form.cleaned_data["is_active"],
        )

    @admin.action(description="Reset MFA (remove authenticator and backup codes, end sessions)")
    def reset_mfa_action(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                reset_mfa(actor=request.user, user=user)
            except AccountActionRefused as refusal:
                self.message_user(request, f"Not reset for {user.username}: {refusal}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"MFA reset for {done} account(s); they enrol again at next sign-in.")

    @admin.display(description="Roles")
    def roles(self, obj) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all())) or "—"

    @admin.display(description="In Custos")
    def manage_in_app(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">Open this account in Custos</a>',
            reverse("accounts:user_detail", kwargs={"pk": obj.pk}),
        )


def partial_form(form_class, **extra):
    """Return a subclass of ``form_class`` whose constructor receives ``extra`` keyword arguments."""

    class BoundForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **extra, **kwargs)

    return BoundForm


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    """Authenticators, listed only: the encrypted seed is never shown."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_display_links = None
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]

    def has_view_permission(self, request, obj=None) -> bool:
        # The list is enough; a detail page has nothing more that may be shown.
        return obj is None and super().has_view_permission(request, obj)


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    """Signed-in sessions, read-only (users end their own on the security page)."""

    list_display = ["user", "created_at", "last_seen_at", "ended_at", "ip_prefix", "user_agent"]
    list_filter = ["ended_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "created_at", "last_seen_at", "ended_at", "ip_prefix", "user_agent"]
