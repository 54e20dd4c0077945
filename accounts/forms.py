from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm
from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError

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
        fields = ["display_name", "handle", "kind", "class_group", "network"]
        labels = {"class_group": "Class (for class accounts)"}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_group"].queryset = ClassGroup.objects.filter(school=school)

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


class SecondFactorCodeForm(AuthenticateForm):
    """allauth's code form, with the number pad on an iPad and the code offered by iOS autofill."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(_CODE_INPUT)
        self.fields["code"].label = _CODE_LABEL
        self.fields["code"].help_text = _CODE_HELP


class SecondFactorReauthenticateForm(ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(_CODE_INPUT)
        self.fields["code"].label = _CODE_LABEL
        self.fields["code"].help_text = _CODE_HELP


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
