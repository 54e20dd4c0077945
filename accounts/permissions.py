"""Every "may this person do this here?" question is answered here, and only here.

Views, services and templates ask these functions; none of them look at roles directly.
A `membership` is the person's place at the request's school (None when they have none).
"""

from enum import StrEnum

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import ApprovalCover, ApprovalStep, Membership, Role, RoleAssignment, SocialAccount
from .trip_grants import active_delegations


class Perm(StrEnum):
    INVITE_STAFF = "invite_staff"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SOCIAL_ACCOUNTS = "manage_social_accounts"
    APPROVE_POSTS = "approve_posts"
    DRAFT_POSTS = "draft_posts"
    MANAGE_CONSENT = "manage_consent"
    VIEW_CONSENT_COVERAGE = "view_consent_coverage"
    SET_NEVER_PUBLISH = "set_never_publish"
    EDIT_RULES = "edit_rules"
    SIGN_OFF_POLICY = "sign_off_policy"
    REVIEW_AUDIENCE = "review_audience"
    APPROVE_FOLLOWING = "approve_following"
    VIEW_AUDIT = "view_audit"
    RAISE_CONCERN = "raise_concern"
    VIEW_INCIDENTS = "view_incidents"
    MANAGE_INCIDENTS = "manage_incidents"
    VIEW_WEBSITE_FEED = "view_website_feed"
    MANAGE_WEBSITE_FEED = "manage_website_feed"
    MANAGE_DEVICES = "manage_devices"


_ROLES_WITH = {
    Perm.INVITE_STAFF: {Role.HEADTEACHER, Role.OFFICE_ADMIN},
    Perm.MANAGE_STAFF: {Role.HEADTEACHER},
    Perm.MANAGE_SOCIAL_ACCOUNTS: {Role.HEADTEACHER},
    Perm.APPROVE_POSTS: {Role.HEADTEACHER, Role.SENIOR_LEADER},
    Perm.DRAFT_POSTS: {Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT},
    Perm.MANAGE_CONSENT: {Role.HEADTEACHER, Role.OFFICE_ADMIN},
    Perm.SET_NEVER_PUBLISH: {Role.HEADTEACHER},
    Perm.VIEW_CONSENT_COVERAGE: {Role.HEADTEACHER, Role.SENIOR_LEADER, Role.OFFICE_ADMIN},
    Perm.EDIT_RULES: {Role.HEADTEACHER, Role.COMPUTING_LEAD},
    Perm.SIGN_OFF_POLICY: {Role.HEADTEACHER},
    Perm.REVIEW_AUDIENCE: {Role.HEADTEACHER, Role.OFFICE_ADMIN},
    # The policy: the accounts follow only what the headteacher approves.
    Perm.APPROVE_FOLLOWING: {Role.HEADTEACHER},
    Perm.VIEW_AUDIT: {Role.HEADTEACHER},
    Perm.RAISE_CONCERN: set(Role.values),
    # Concerns and incidents: senior leaders read them; the headteacher handles them.
    Perm.VIEW_INCIDENTS: {Role.HEADTEACHER, Role.SENIOR_LEADER},
    Perm.MANAGE_INCIDENTS: {Role.HEADTEACHER},
    # The website feed (issue 17): its addresses and embed code for those who look after the
    # school's website; whether it is on, and which website may frame it, for the headteacher.
    Perm.VIEW_WEBSITE_FEED: {Role.HEADTEACHER, Role.SENIOR_LEADER, Role.COMPUTING_LEAD},
    Perm.MANAGE_WEBSITE_FEED: {Role.HEADTEACHER},
    # School devices (issue 18): the headteacher says which devices are the school's.
    Perm.MANAGE_DEVICES: {Role.HEADTEACHER},
}

# Anyone who can approve posts or manage staff, accounts or consent signs in with a second factor.
_SECOND_FACTOR_PERMS = {
    Perm.APPROVE_POSTS,
    Perm.MANAGE_STAFF,
    Perm.INVITE_STAFF,
    Perm.MANAGE_SOCIAL_ACCOUNTS,
    Perm.MANAGE_CONSENT,
}

# Roles that only the headteacher may hand out: an office admin inviting a senior leader
# would be a way round the approval workflow.
_ROLES_ONLY_HEAD_GRANTS = {Role.HEADTEACHER, Role.SENIOR_LEADER}


def has_perm(membership: Membership | None, perm: Perm) -> bool:
    if membership is None or not membership.is_active:
        return False
    return bool(membership.roles & _ROLES_WITH[perm])


def requires_second_factor(membership: Membership | None) -> bool:
    """Approvers and managers; and, while they are on an approval step, anyone a step names."""
    return any(has_perm(membership, perm) for perm in _SECOND_FACTOR_PERMS) or on_approval_step(membership)


def on_approval_step_sql(membership=None):
    """SQL for `on_approval_step`: of `membership` (a Membership or its pk), or, without it, of
    the outer Membership row (to annotate a list of staff; accounts.selectors does)."""
    me = OuterRef("pk") if membership is None else membership
    school = OuterRef("school_id") if membership is None else membership.school_id
    # Two levels down (a step's roles, inside the step): the Membership row is the outer's outer.
    my_roles = RoleAssignment.objects.filter(
        membership=OuterRef(OuterRef("pk")) if membership is None else membership
    ).values("role")
    named = ApprovalStep.objects.filter(account__school_id=school).filter(
        Q(people=me) | Q(step_roles__role__in=my_roles)
    )
    today = timezone.localdate()
    covering = ApprovalCover.objects.filter(
        school_id=school, delegate=me, revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today
    )
    return Exists(named) | Exists(covering)


def on_approval_step(membership: Membership | None) -> bool:
    """Named on a step of one of the school's approval chains (in person, or by a role they hold),
    or deciding today for someone who is away (accounts.approval_chains). Read with the
    membership when it came through accounts.selectors.memberships_with_roles (as the request's
    does); otherwise one query, remembered on the membership."""
    if membership is None or not membership.is_active:
        return False
    known = getattr(membership, "on_approval_step_now", None)
    if known is None:
        known = Membership.objects.filter(pk=membership.pk).filter(on_approval_step_sql(membership)).exists()
        membership.on_approval_step_now = known
    return known


def may_review_posts(membership: Membership | None) -> bool:
    """The approvers' pages ("Posts to approve", a post's review page): approvers, and whoever is
    on an approval step (or covering). Which posts they may then open and decide is
    posts.selectors_chains.may_review_post's question."""
    return has_perm(membership, Perm.APPROVE_POSTS) or on_approval_step(membership)


def grantable_roles(membership: Membership | None) -> list[str]:
    """The roles this person may give in an invitation or a role change."""
    if has_perm(membership, Perm.MANAGE_STAFF):
        return list(Role.values)
    if has_perm(membership, Perm.INVITE_STAFF):
        return [role for role in Role.values if role not in _ROLES_ONLY_HEAD_GRANTS]
    return []


def may_draft_for(membership: Membership | None, account: SocialAccount) -> bool:
    """Class accounts: that class's teachers and assistants. Whole-school: senior leadership, and
    during a trip (posts.services.trip_mode) the member of staff the headteacher named."""
    if membership is None or not membership.is_active or account.school_id != membership.school_id:
        return False
    if account.kind == SocialAccount.Kind.WHOLE_SCHOOL:
        if membership.roles & {Role.HEADTEACHER, Role.SENIOR_LEADER}:
            return True
        return has_perm(membership, Perm.DRAFT_POSTS) and _on_trip_for(membership, account)
    if not membership.roles & {Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT}:
        return False
    return any(group.pk == account.class_group_id for group in membership.class_groups.all())


def _on_trip_for(membership: Membership, account: SocialAccount) -> bool:
    """Trip mode (accounts.trip_grants): the headteacher has lent this person the whole-school
    account for today. One query."""
    return active_delegations(account=account).filter(delegate_id=membership.user_id).exists()


def may_approve_for(membership: Membership | None, account: SocialAccount) -> bool:
    if membership is None or account.school_id != membership.school_id:
        return False
    return has_perm(membership, Perm.APPROVE_POSTS)


def may_manage_membership(actor: Membership | None, target: Membership) -> bool:
    return target.school_id == getattr(actor, "school_id", None) and has_perm(actor, Perm.MANAGE_STAFF)
