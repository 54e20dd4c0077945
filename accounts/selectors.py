from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from .models import ClassGroup, Invitation, Membership, School, SocialAccount, StaffHandle
from .permissions import may_draft_for, on_approval_step_sql, requires_second_factor


def memberships_with_roles() -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("user", "school")
        .prefetch_related("role_assignments", Prefetch("class_groups", queryset=ClassGroup.objects.order_by("name")))
        # Whether they are on an approval step now (accounts.permissions.on_approval_step), read with them.
        .annotate(on_approval_step_now=on_approval_step_sql())
    )


def active_memberships_for_user(*, user) -> QuerySet[Membership]:
    return memberships_with_roles().filter(user=user, is_active=True).order_by("school__name")


def second_factor_required_for_user(*, user) -> bool:
    """Whether any school this person works at needs them to sign in with a second factor."""
    return any(requires_second_factor(membership) for membership in active_memberships_for_user(user=user))


def staff_for_school(*, school: School) -> QuerySet[Membership]:
    return memberships_with_roles().filter(school=school).order_by("-is_active", "user__last_name", "user__email")


def membership_for_school(*, school: School, pk: int) -> Membership:
    return memberships_with_roles().get(school=school, pk=pk)


def class_groups_for_school(*, school: School) -> QuerySet[ClassGroup]:
    return ClassGroup.objects.filter(school=school)


def invitations_for_school(*, school: School) -> QuerySet[Invitation]:
    return Invitation.objects.filter(school=school).select_related("invited_by").prefetch_related("class_groups")


def social_accounts_for_school(*, school: School) -> QuerySet[SocialAccount]:
    return SocialAccount.objects.filter(school=school).select_related("class_group")


def social_accounts_for_drafting(*, membership: Membership) -> list[SocialAccount]:
    return [
        account
        for account in social_accounts_for_school(school=membership.school)
        if may_draft_for(membership, account)
    ]


def sign_in_failure_summary_key(user) -> str:
    return f"accounts:sign_in:failures:{user.pk}"


def sign_in_failure_summary(*, user) -> dict | None:
    """Wrong passwords and codes typed at this person's account, by anyone, as counted by
    accounts.services_sign_in: {"since", "latest", "passwords", "codes"}, or None."""
    return cache.get(sign_in_failure_summary_key(user))


def staff_handles_for_member(*, membership: Membership) -> QuerySet[StaffHandle]:
    return StaffHandle.objects.filter(membership=membership).order_by("network", "handle")


def staff_handles_for_school(*, school: School) -> QuerySet[StaffHandle]:
    """Every account the school's staff have recorded (active staff only), for the headteacher."""
    return (
        StaffHandle.objects.filter(membership__school=school, membership__is_active=True)
        .select_related("membership__user")
        .order_by("membership__user__last_name", "membership__user__first_name", "network", "handle")
    )


def staff_account_reminders(*, membership: Membership) -> list[StaffHandle]:
    """The person's own accounts last seen public: the line on their dashboard."""
    return list(StaffHandle.objects.filter(membership=membership, reminder_open=True).order_by("network", "handle"))
