"""Staff's own accounts on the networks (issue 18): recorded by the person, checked for privacy.

The school's policy asks staff who follow the school's accounts to keep their own accounts
private and not to follow parents or pupils. A member of staff records their handles here; the
follower review (community.staff_accounts) recognises them and, through the network's adapter,
whether each account is private. A public account reminds the person by email, at most once per
REMINDER_PERIOD, and with a line on their own dashboard until the account is seen private. The
school's audience never sees any of this: nothing is posted or sent on the network.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.services import record

from .models import Membership, Network, StaffHandle

# A public account is mentioned to its owner by email at most this often; the dashboard line stays.
REMINDER_PERIOD = timedelta(days=30)

_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]"
_HANDLE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    Network.X: (
        re.compile(r"[a-z0-9_]{1,15}"),
        "An X handle is @ and up to 15 letters, digits or underscores, e.g. @msjones_teach.",
    ),
    Network.BLUESKY: (
        re.compile(_DOMAIN),
        "A Bluesky handle is a name with dots, e.g. msjones.bsky.social.",
    ),
    Network.MASTODON: (
        re.compile(rf"[a-z0-9_](?:[a-z0-9_.-]{{0,62}}[a-z0-9_])?@{_DOMAIN}"),
        "A Mastodon handle names the server too, e.g. @msjones@mastodon.social.",
    ),
    Network.LOCAL: (
        re.compile(r"[a-z0-9_]{1,64}"),
        "A handle on the portal's own network is letters, digits and underscores, e.g. @msjones.",
    ),
}


def normalise_handle(network: str, handle: str) -> str:
    """The handle as the portal keeps it (no leading @, lower case), or ValidationError saying how
    that network writes handles."""
    if network not in _HANDLE_RULES:
        raise ValidationError({"network": "Choose the network the account is on."})
    value = handle.strip().removeprefix("@").lower()
    pattern, example = _HANDLE_RULES[network]
    if not value or len(value) > 200 or not pattern.fullmatch(value):
        raise ValidationError({"handle": example})
    return value


def _check_own(actor: Membership, staff_handle: StaffHandle) -> None:
    if actor is None or not actor.is_active or staff_handle.membership_id != actor.pk:
        raise PermissionDenied("Only the member of staff who recorded an account can change it.")


def staff_handle_add(*, actor: Membership, network: str, handle: str, request=None) -> StaffHandle:
    """Record one of the actor's own accounts at their school."""
    if actor is None or not actor.is_active:
        raise PermissionDenied("Only the school's staff record their own accounts.")
    value = normalise_handle(network, handle)
    taken = StaffHandle.objects.filter(membership__school_id=actor.school_id, network=network, handle=value)
    if taken.filter(membership=actor).exists():
        raise ValidationError({"handle": f"You have already recorded @{value}."})
    if taken.exists():
        raise ValidationError({"handle": f"Another member of staff has recorded @{value}. Ask the headteacher."})
    try:
        with transaction.atomic():
            staff_handle = StaffHandle(membership=actor, network=network, handle=value)
            staff_handle.full_clean()
            staff_handle.save()
            record(
                action="staff_handle.added",
                actor=actor.user,
                school=actor.school,
                target=staff_handle,
                data={"network": network, "handle": value},
                request=request,
            )
    except IntegrityError:
        raise ValidationError({"handle": f"You have already recorded @{value}."}) from None
    return staff_handle


def staff_handle_remove(*, actor: Membership, staff_handle: StaffHandle, request=None) -> None:
    """The person takes one of their accounts off the portal; the audit trail keeps that they did."""
    _check_own(actor, staff_handle)
    with transaction.atomic():
        record(
            action="staff_handle.removed",
            actor=actor.user,
            school=actor.school,
            target=staff_handle,
            data={"network": staff_handle.network, "handle": staff_handle.handle},
            request=request,
        )
        StaffHandle.objects.filter(pk=staff_handle.pk).delete()


def staff_handle_record_check(
    *, staff_handle: StaffHandle, is_private: bool | None, note: str = "", now: datetime | None = None
) -> bool:
    """Keep what a look at the account found, and remind its owner when it is public.

    `is_private` None means the network did not say (`note` says why, e.g. Bluesky has no private
    accounts): nothing changes about a reminder. A public account opens a reminder, and emails
    its owner unless they were emailed within REMINDER_PERIOD; a private one clears the reminder.
    Returns whether an email was sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = StaffHandle.objects.select_for_update().select_related("membership__school", "membership__user")
        current = current.get(pk=staff_handle.pk)
        current.checked_at, current.check_note = now, note[:300]
        fields = ["checked_at", "check_note", "is_private"]
        current.is_private = is_private if is_private is not None else current.is_private
        emailed = False
        school, user = current.membership.school, current.membership.user
        data = {"network": current.network, "handle": current.handle}
        if is_private is False:
            emailed = current.reminded_at is None or now - current.reminded_at >= REMINDER_PERIOD
            if not current.reminder_open:
                record(action="staff_handle.reminder_opened", school=school, target=current, data=data)
            current.reminder_open = True
            fields.append("reminder_open")
            if emailed and current.membership.is_active:
                current.reminded_at = now
                fields.append("reminded_at")
                record(action="staff_handle.reminded", school=school, target=current, data={**data, "to": user.email})
                transaction.on_commit(lambda: _send_reminder(current))
            else:
                emailed = False
        elif is_private is True and current.reminder_open:
            current.reminder_open = False
            fields.append("reminder_open")
            record(action="staff_handle.reminder_cleared", school=school, target=current, data=data)
        current.save(update_fields=fields)
    staff_handle.refresh_from_db()
    return emailed


def _send_reminder(staff_handle: StaffHandle) -> None:
    membership = staff_handle.membership
    context = {
        "staff_handle": staff_handle,
        "school": membership.school,
        "name": membership.user.first_name or membership.user.email,
        "url": settings.SITE_URL + reverse("staff_handles"),
    }
    send_mail(
        subject=f"Your {staff_handle.get_network_display()} account is public",
        message=render_to_string("accounts/email/staff_handle_reminder.txt", context),
        from_email=None,
        recipient_list=[membership.user.email],
    )
