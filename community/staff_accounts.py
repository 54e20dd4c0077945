"""Staff's own accounts among the school's followers (issue 18).

Staff record their handles in accounts (StaffHandle). Here the portal recognises them in the
follower review and asks the network, through the school's account's adapter, whether each is
private. What a look finds goes to `accounts.services_staff_handles.staff_handle_record_check`,
which reminds the person (only them: an email and a line on their own dashboard) when the
account is public, and clears the reminder when it is private. Nothing is posted or sent on the
network, and nothing of this is shown to the school's audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from accounts.models import Membership, School, SocialAccount, StaffHandle
from accounts.services_staff_handles import staff_handle_record_check
from networks.base import NetworkError, NetworkUser
from networks.registry import get_network, network_class

NO_PRIVATE_ACCOUNTS = "{network} has no private accounts: everything posted there is public."
NOT_REPORTED = "{network} did not say whether the account is private."
NO_SCHOOL_ACCOUNT = "The school has no working account on {network}, so the portal cannot look this account up."


def _server_domain(account: SocialAccount) -> str:
    facts = account.network_settings or {}
    return str(facts.get("domain") or urlsplit(str(facts.get("server", ""))).netloc).lower()


def follower_key(account: SocialAccount, handle: str) -> str:
    """A follower's handle as staff record theirs: lower case, no @, and on Mastodon with the
    server (the server leaves it off for people on the school account's own server)."""
    key = handle.strip().removeprefix("@").lower()
    if account.network == "mastodon" and "@" not in key and _server_domain(account):
        key = f"{key}@{_server_domain(account)}"
    return key


def staff_handle_index(school: School) -> dict[tuple[str, str], StaffHandle]:
    """The school's active staff's recorded handles, by (network, handle): one query."""
    handles = StaffHandle.objects.filter(membership__school=school, membership__is_active=True).select_related(
        "membership__user"
    )
    return {(h.network, h.handle): h for h in handles}


@dataclass(frozen=True)
class StaffMark:
    """What the follower review shows beside a follower who is a member of staff."""

    name: str
    is_private: bool | None
    note: str


def mark_staff_followers(followers, *, school: School) -> None:
    """Sets `.staff` (a StaffMark, or None) on each follower on the page."""
    index = staff_handle_index(school)
    for follower in followers:
        found = index.get((follower.account.network, follower_key(follower.account, follower.handle)))
        follower.staff = None
        if found is not None:
            follower.staff = StaffMark(
                name=str(found.membership.user),
                is_private=follower.is_private,
                note=_unknown_note(follower.account.network, follower.is_private),
            )


def _label(network: str) -> str:
    try:
        return network_class(network).label
    except NetworkError:
        return network


def _unknown_note(network: str, is_private: bool | None) -> str:
    if is_private is not None:
        return ""
    try:
        has_private = network_class(network).has_private_accounts
    except NetworkError:
        has_private = True
    return (NOT_REPORTED if has_private else NO_PRIVATE_ACCOUNTS).format(network=_label(network))


def check_followers(account: SocialAccount, users: list[NetworkUser], *, now: datetime | None = None) -> int:
    """After a page of followers is read: record what the network says about each staff member's
    account among them (and remind them when it is public). Returns how many were staff."""
    index = staff_handle_index(account.school)
    if not index:
        return 0
    found = 0
    for user in users:
        staff_handle = index.get((account.network, follower_key(account, user.handle)))
        if staff_handle is None:
            continue
        found += 1
        staff_handle_record_check(
            staff_handle=staff_handle,
            is_private=user.is_private,
            note=_unknown_note(account.network, user.is_private),
            now=now,
        )
    return found


def _lookup_account(membership: Membership, network: str) -> SocialAccount | None:
    return (
        SocialAccount.objects.filter(school_id=membership.school_id, network=network)
        .exclude(status=SocialAccount.Status.DISABLED)
        .order_by("status", "pk")
        .first()
    )


def check_member_handles(*, membership: Membership) -> list[str]:
    """ "Check my accounts now": look each of the person's recorded accounts up through one of the
    school's accounts on that network (`user_by_handle`) and record what it says. Returns one
    line per account, for the page."""
    lines = []
    for staff_handle in StaffHandle.objects.filter(membership=membership).order_by("network", "handle"):
        label = _label(staff_handle.network)
        is_private, note = None, ""
        account = _lookup_account(membership, staff_handle.network)
        if account is None:
            note = NO_SCHOOL_ACCOUNT.format(network=label)
        elif not network_class(staff_handle.network).has_private_accounts:
            note = NO_PRIVATE_ACCOUNTS.format(network=label)
        else:
            try:
                user = get_network(account).user_by_handle(staff_handle.handle)
            except NetworkError as error:
                note = f"The portal could not look it up: {error.message}"
            else:
                is_private = user.is_private
                note = _unknown_note(staff_handle.network, is_private)
        staff_handle_record_check(staff_handle=staff_handle, is_private=is_private, note=note)
        state = {True: "is private", False: "is public: please make it private"}.get(is_private, "")
        lines.append(f"@{staff_handle.handle} on {label} {state}." if state else f"@{staff_handle.handle}: {note}")
    return lines
