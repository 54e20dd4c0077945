from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.urls import reverse

from . import services_sign_in
from .fields import decrypt_str, encrypt_str
from .selectors import second_factor_required_for_user


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """Nobody signs themselves up: staff join through an invitation (accounts.views.invitation_accept)."""

    # allauth's messages for the sign-in forms, in the portal's words.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": "This account is switched off. Ask your headteacher or school office if you need it.",
        "email_password_mismatch": (
            "That email address and password don't match an account. Check both and try again, or reset your password."
        ),
        "enter_current_password": "That isn't your current password. Type the password you signed in with.",
        "incorrect_password": "That isn't your password. Try again, or reset your password if you've forgotten it.",
        "invalid_password_reset": "This link to reset your password no longer works.",
        "too_many_login_attempts": (
            "Too many attempts with the wrong password. Wait a few minutes before trying again, or reset your password."
        ),
        "rate_limited": "Too many attempts in a short time. Wait a few minutes, then try again.",
    }

    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_authenticate(self, request, **credentials) -> None:
        """Instead of allauth's lock on the email address, which kept the owner out too: limits
        that spare the owner's usual browser (accounts.services_sign_in)."""
        self._sign_in_attempt = services_sign_in.begin_attempt(
            request, step=services_sign_in.Step.PASSWORD, email=credentials.get("email") or ""
        )

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            self._sign_in_attempt.succeeded()
        else:
            self._sign_in_attempt.failed()
        return user

    def format_email_subject(self, subject: str) -> str:
        """The subjects already name the portal; allauth would add the server's host name in brackets."""
        return subject

    def get_password_change_redirect_url(self, request) -> str:
        """After a new password, on to the person's next job rather than back to the form."""
        return reverse("dashboard")


class EncryptingMFAAdapter(DefaultMFAAdapter):
    """TOTP seeds are encrypted at rest with FIELD_ENCRYPTION_KEY, like network tokens."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": (
            "That code didn't work. Type the six digits your app shows now (they change every 30 seconds), "
            "or an unused recovery code."
        ),
        "cannot_delete_authenticator": (
            "Your role needs a second sign-in step, so your authenticator app can't be switched off."
        ),
    }

    def encrypt(self, text: str) -> str:
        return encrypt_str(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_str(encrypted_text)

    def can_delete_authenticator(self, authenticator) -> bool:
        """An approver cannot switch their second factor off while their role needs it."""
        return not second_factor_required_for_user(user=authenticator.user)
