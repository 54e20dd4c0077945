"""Small helpers for the sign-in and sign-in security pages (templates/account, templates/mfa)."""

from urllib.parse import urlsplit

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django import template
from django.urls import Resolver404, resolve

from ..permissions import requires_second_factor
from ..selectors import second_factor_required_for_user, sign_in_failure_summary

register = template.Library()

# What allauth asks someone to confirm it's them for, by the page it will go on to.
_REAUTHENTICATION_PURPOSES = {
    "mfa_activate_totp": "set up your authenticator app",
    "mfa_deactivate_totp": "switch off your authenticator app",
    "mfa_generate_recovery_codes": "make new recovery codes",
    "mfa_view_recovery_codes": "see your recovery codes",
    "mfa_download_recovery_codes": "download your recovery codes",
}


@register.filter
def key_groups(secret: str, size: int = 4) -> str:
    """An authenticator secret in groups of four ("JBSW Y3DP EHPK 3PXP"), easier to type into an app."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


@register.simple_tag(takes_context=True)
def second_factor_required(context) -> bool:
    """Whether the signed-in person's roles (at any of their schools) need a second sign-in step."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return second_factor_required_for_user(user=request.user)


@register.simple_tag(takes_context=True)
def sign_in_failures(context) -> dict | None:
    """Wrong passwords and codes typed at the signed-in person's account lately, by anyone."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    summary = sign_in_failure_summary(user=request.user)
    if summary:
        summary = {**summary, "total": summary["passwords"] + summary["codes"]}
    return summary


@register.simple_tag(takes_context=True)
def has_authenticator_app(context) -> bool:
    request = context.get("request")
    return request is not None and is_mfa_enabled(request.user, [Authenticator.Type.TOTP])


@register.simple_tag(takes_context=True)
def reauthentication_purpose(context) -> dict:
    """What the person will do once they have confirmed it's them, read from allauth's `next`.

    `setting_up_required_step` is true when an approver is setting up their authenticator app
    for the first time, having just signed in: the page then says why it asks for the password again.
    """
    purpose = {"doing": "", "setting_up_required_step": False}
    next_url = context.get("redirect_field_value") or ""
    try:
        url_name = resolve(urlsplit(next_url).path).url_name if next_url else None
    except Resolver404:
        url_name = None
    purpose["doing"] = _REAUTHENTICATION_PURPOSES.get(url_name, "")
    request = context.get("request")
    if url_name == "mfa_activate_totp" and request is not None:
        purpose["setting_up_required_step"] = requires_second_factor(getattr(request, "membership", None))
    return purpose
