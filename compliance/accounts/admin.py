"""Django admin for accounts: read-only views; changes go through the in-app pages and their services.

The whole admin site requires a session verified with a second factor
(django-otp's OTPAdminSite); the MFA middleware enforces the same before any
admin page is reached.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django_otp.admin import OTPAdminSite

from compliance.accounts.models import TOTPDevice, User, UserSession

admin.site.__class__ = OTPAdminSite


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only: every write goes through a service, which audits it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin, DjangoUserAdmin):
    """Accounts, read-only: roles, end dates, activation and MFA resets are changed in the app."""

    list_display = ["username", "email", "roles", "access_expires_on", "is_active", "is_superuser", "last_login"]
    list_filter = ["groups", "is_active", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["username", "manage_in_app"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["groups", "access_expires_on", "is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["manage_in_app"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, obj) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all())) or "—"

    @admin.display(description="Change")
    def manage_in_app(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">Change roles, access end date, activation or MFA in Custos</a>',
            reverse("accounts:user_detail", kwargs={"pk": obj.pk}),
        )


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
