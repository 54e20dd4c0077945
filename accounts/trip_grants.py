"""Trip-mode grants in force: who may post for a whole-school account without waiting for
approval today. Read by `accounts.permissions` (drafting rights) and by trip mode itself
(posts.services.trip_mode), so it depends on nothing above accounts."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .models import Delegation, Membership, SocialAccount


def active_delegations(*, account: SocialAccount | None = None, school=None, on: date | None = None) -> QuerySet:
    """Delegations in force on `on` (today, school time) for an account or a whole school."""
    on = on or timezone.localdate()
    delegations = Delegation.objects.filter(revoked_at__isnull=True, starts_on__lte=on, ends_on__gte=on)
    if account is not None:
        delegations = delegations.filter(account=account)
    if school is not None:
        delegations = delegations.filter(account__school=school)
    return delegations


def active_delegation(membership: Membership | None, account: SocialAccount, on: date | None = None):
    """The delegation that lets this person post for `account` without approval today, or None."""
    if (
        membership is None
        or not membership.is_active
        or account.kind != SocialAccount.Kind.WHOLE_SCHOOL
        or account.school_id != membership.school_id
    ):
        return None
    return active_delegations(account=account, on=on).filter(delegate_id=membership.user_id).first()
