"""Forms for signing in, MFA, user management and API keys. They parse and validate; services write."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import dateformat

from compliance.accounts import api_keys, services
from compliance.accounts.models import ApiKey
from compliance.accounts.roles import Role

ACCESS_ENDED = "Your access ended on {date}. Ask an administrator to extend it."


class LoginForm(AuthenticationForm):
    """Username and password; refuses accounts whose access has ended (auditors past their end date)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.access_expired():
            raise ValidationError(
                ACCESS_ENDED.format(date=dateformat.format(user.access_expires_on, "j F Y")),
                code="access_ended",
            )


class TokenForm(forms.Form):
    """One code: from the authenticator app, or (when verifying) a backup code."""

    token = forms.CharField(
        label="6-digit code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, accept_backup_codes: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if accept_backup_codes:
            token = self.fields["token"]
            token.label = "Code from your authenticator app, or a backup code"
            token.help_text = "Lost your phone? Type one of the backup codes you saved; each works once."
            token.widget.attrs["inputmode"] = "text"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def role_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Roles",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every role but Employee must use an authenticator app.",
    )


def access_end_field() -> forms.DateField:
    return forms.DateField(
        label="Access ends on",
        required=False,
        widget=DateInput(),
        help_text="Sign-in is refused after this day. Required for auditors.",
    )


def check_access_rules(form: forms.Form, *, creating: bool) -> None:
    """Put the service's role and end-date rule errors on ``form``'s fields."""
    try:
        services.validate_access(
            roles=form.cleaned_data.get("roles") or [],
            access_expires_on=form.cleaned_data.get("access_expires_on"),
            creating=creating,
        )
    except ValidationError as error:
        form.add_error(None, error)


class UserCreateForm(forms.ModelForm):
    """A new account: identity, roles, access end date and an initial password."""

    roles = role_field()
    access_expires_on = access_end_field()
    password = forms.CharField(
        label="Initial password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    class Meta:
        model = get_user_model()
        fields = ["username", "email", "first_name", "last_name"]

    def clean(self):
        cleaned = super().clean()
        check_access_rules(self, creating=True)
        password = cleaned.get("password")
        if password:
            candidate = get_user_model()(
                username=cleaned.get("username") or "",
                email=cleaned.get("email") or "",
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
            try:
                password_validation.validate_password(password, user=candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class UserUpdateForm(forms.Form):
    """What an administrator changes on an existing account."""

    roles = role_field()
    access_expires_on = access_end_field()
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="An inactive account cannot sign in; deactivating it ends its sessions.",
    )

    @classmethod
    def for_user(cls, user, data=None) -> "UserUpdateForm":
        initial = {
            "roles": [group.name for group in user.groups.all()],
            "access_expires_on": user.access_expires_on,
            "is_active": user.is_active,
        }
        return cls(data=data, initial=initial)

    def clean(self):
        cleaned = super().clean()
        check_access_rules(self, creating=False)
        return cleaned


class UserSearchForm(forms.Form):
    q = forms.CharField(label="Username", required=False, max_length=150)


class ApiKeyCreateForm(forms.Form):
    """A new API key: what uses it, what it may do, and optionally the last day it works."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use the key, for example “nightly training pipeline”.",
    )
    scopes = forms.MultipleChoiceField(
        label="Scopes",
        choices=[(scope.value, f"{scope.value} — {scope.label}") for scope in ApiKey.Scope],
        widget=forms.CheckboxSelectMultiple,
        help_text="Give the key only what its program needs.",
    )
    expires_at = forms.DateField(
        label="Expires after",
        required=False,
        widget=DateInput(),
        help_text="Optional. The key stops working at the end of this day.",
    )

    def clean_expires_at(self):
        day = self.cleaned_data["expires_at"]
        return api_keys.end_of_day(day) if day else None

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                services.validate_api_key(
                    name=cleaned["name"], scopes=cleaned["scopes"], expires_at=cleaned["expires_at"]
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned
