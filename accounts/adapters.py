from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from .fields import decrypt_str, encrypt_str
from .models import Membership
from .permissions import requires_second_factor
from .selectors import active_memberships_for_user


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """Nobody signs themselves up: staff join through an invitation (accounts.views.invitation_accept)."""

    def is_open_for_signup(self, request) -> bool:
        return False


class EncryptingMFAAdapter(DefaultMFAAdapter):
    """TOTP seeds are encrypted at rest with FIELD_ENCRYPTION_KEY, like network tokens."""

    def encrypt(self, text: str) -> str:
        return encrypt_str(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_str(encrypted_text)

    def can_delete_authenticator(self, authenticator) -> bool:
        """An approver cannot switch their second factor off while their role needs it."""
        memberships: list[Membership] = list(active_memberships_for_user(user=authenticator.user))
        return not any(requires_second_factor(m) for m in memberships)
