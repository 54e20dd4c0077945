from urllib.parse import urlsplit

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm
from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError

from . import services_sign_in
from .models import ClassGroup, Role, SocialAccount
from .permissions import grantable_roles


class _RolesAndClassesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=(), error_messages={"required": "Choose at least one role."}
    )
    class_groups = forms.ModelMultipleChoiceField(
        queryset=ClassGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Classes",
        help_text="For class teachers and teaching assistants: the classes whose accounts they post for.",
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = set(grantable_roles(actor))
        self.fields["roles"].choices = [(value, label) for value, label in Role.choices if value in allowed]
        self.fields["class_groups"].queryset = ClassGroup.objects.filter(school=actor.school)


class InvitationForm(_RolesAndClassesForm):
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    field_order = ["email", "roles", "class_groups"]


class RolesForm(_RolesAndClassesForm):
    pass


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Type it again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords are different.")
        return cleaned


class SocialAccountForm(forms.ModelForm):
    class Meta:
        model = SocialAccount
        fields = ["display_name", "handle", "kind", "class_group", "network", "device_check"]
        labels = {"class_group": "Class (for class accounts)"}
        widgets = {"device_check": forms.RadioSelect}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_group"].queryset = ClassGroup.objects.filter(school=school)
        # Left out (an older form, a script): the account keeps its choice.
        self.fields["device_check"].required = False

    def clean(self):
        cleaned = super().clean()
        kind, class_group = cleaned.get("kind"), cleaned.get("class_group")
        if kind == SocialAccount.Kind.CLASS and class_group is None:
            self.add_error("class_group", "A class account needs its class.")
        if kind == SocialAccount.Kind.WHOLE_SCHOOL:
            cleaned["class_group"] = None
        return cleaned


_CODE_INPUT = {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
# Both forms take a code from the app or, instead, a recovery code (allauth checks either).
_CODE_LABEL = "Code"
_CODE_HELP = "The six digits your authenticator app shows now, or one of your eight-digit recovery codes."


class _LimitedCodeMixin:
    """Codes and recovery codes meet the same limits as passwords (accounts.services_sign_in),
    in place of allauth's lock on the account after five wrong codes, which anyone holding the
    password could use to keep the owner out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(_CODE_INPUT)
        self.fields["code"].label = _CODE_LABEL
        self.fields["code"].help_text = _CODE_HELP

    def clean_code(self) -> str:
        attempt = services_sign_in.begin_attempt(
            context.request, step=services_sign_in.Step.CODE, email=self.user.email, user=self.user
        )
        try:
            code = super().clean_code()
        except ValidationError:
            attempt.failed()
            raise
        attempt.succeeded()
        return code


class SecondFactorCodeForm(_LimitedCodeMixin, AuthenticateForm):
    """allauth's code form, with the number pad on an iPad and the code offered by iOS autofill."""


class SecondFactorReauthenticateForm(_LimitedCodeMixin, ReauthenticateForm):
    pass


class ActivateAuthenticatorForm(ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(_CODE_INPUT)
        self.fields["code"].label = "Six-digit code from the app"

    def clean_code(self) -> str:
        # No recovery codes exist yet at set-up, so the sign-in message about them would mislead.
        try:
            return super().clean_code()
        except ValidationError as error:
            if error.code != "incorrect_code":
                raise
            raise ValidationError(
                "That code didn't match. Check that the app scanned the QR code on this page, not an older one, "
                "then type the six digits it shows now.",
                code="incorrect_code",
            ) from error


class WebsiteFeedForm(forms.Form):
    """The headteacher's settings for the website feed (posts.views_feed.website_feed)."""

    public_feed = forms.BooleanField(
        required=False,
        label="Publish the website feed",
        help_text="Off: the feed addresses, the list of posts and its photos answer “not found” to everyone.",
    )
    website_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="The school's website",
        help_text=(
            "For example https://www.example.sch.uk. Only pages on this website may show the list of posts "
            "in a frame; leave it empty and the list opens only as a page of its own."
        ),
        error_messages={"invalid": "Enter the website's full address, for example https://www.example.sch.uk."},
    )

    def clean_website_url(self) -> str:
        address = self.cleaned_data["website_url"]
        if address and urlsplit(address).scheme not in ("http", "https"):
            raise ValidationError("Enter an address that starts with https://, for example https://www.example.sch.uk.")
        return address


class DeviceNameForm(forms.Form):
    name = forms.CharField(
        label="Device name",
        max_length=100,
        help_text="As the school knows it, e.g. “Year 3 iPad 2”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class DeviceCodeForm(forms.Form):
    code = forms.CharField(
        label="Enrolment code",
        max_length=20,
        help_text="The eight letters and digits shown on the School devices page, e.g. K7QF-2M9X.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
