"""What every network's connect flow shares: who may connect an account, recording a connection
check (on the account and in the audit trail), one line of what a network lets the portal do,
and the account's publishing history for its connection panel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from accounts.models import Membership, SocialAccount
from accounts.permissions import Perm, has_perm
from audit.services import record

from .base import NetworkError, NetworkUser
from .registry import get_network


@dataclass(frozen=True)
class Ability:
    """One thing the portal can or cannot do on a network, for the connection panel."""

    what: str
    allowed: bool
    note: str = ""


def check_may_manage(actor: Membership, account: SocialAccount) -> None:
    if not has_perm(actor, Perm.MANAGE_SOCIAL_ACCOUNTS) or account.school_id != actor.school_id:
        raise PermissionDenied("Only the headteacher can connect or disconnect the school's accounts.")


def record_check(*, actor: Membership, account: SocialAccount, ok: bool, detail: str, request=None) -> None:
    """Keep a connection check's outcome on the account (connected, or needs attention with why)
    and in the audit trail."""
    status = SocialAccount.Status.ACTIVE if ok else SocialAccount.Status.ERROR
    last_error = "" if ok else detail
    with transaction.atomic():
        SocialAccount.objects.filter(pk=account.pk).update(status=status, last_error=last_error)
        account.status, account.last_error = status, last_error
        record(
            action="social_account.checked",
            actor=actor.user,
            school=actor.school,
            target=account,
            data={"ok": ok, "detail": detail},
            request=request,
        )


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    user: NetworkUser | None = None


def run_check(
    *, actor: Membership, account: SocialAccount, connected: Callable[[NetworkUser], str], request=None
) -> CheckResult:
    """Ask the network who the portal is signed in as, and keep the answer on the account.

    A passing hiccup (the network busy or not answering) is not a broken connection: it is said,
    and nothing changes. `connected` words the success for the network."""
    try:
        user = get_network(account).check_connection()
    except NetworkError as exc:
        if not exc.permanent:
            return CheckResult(ok=False, message=f"{exc.message} Nothing was changed; try again in a few minutes.")
        record_check(actor=actor, account=account, ok=False, detail=exc.message, request=request)
        return CheckResult(ok=False, message=exc.message)
    record_check(actor=actor, account=account, ok=True, detail=user.handle, request=request)
    return CheckResult(ok=True, message=connected(user), user=user)


def publishing_history(account: SocialAccount) -> tuple[datetime | None, datetime | None, str]:
    """When the account last published, and its latest publishing problem (a failed post, or one
    the portal is still retrying). Read through the reverse relation by status name: `networks`
    must not import `posts` (DESIGN.md)."""
    posts = account.posts.all()
    published = posts.filter(status="published", published_at__isnull=False).order_by("-published_at").first()
    problem = (
        posts.filter(Q(status="failed") | ~Q(last_publish_error=""))
        .order_by("-updated_at")
        .values("status", "updated_at", "failure_reason", "last_publish_error")
        .first()
    )
    if problem is None:
        return (published.published_at if published else None), None, ""
    reason = problem["failure_reason"] if problem["status"] == "failed" else problem["last_publish_error"]
    return (
        (published.published_at if published else None),
        problem["updated_at"],
        reason or problem["last_publish_error"] or "Publishing failed.",
    )
