from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Invitation, Membership, SocialAccount
from accounts.permissions import Perm, has_perm, requires_second_factor
from accounts.selectors import memberships_with_roles, social_accounts_for_drafting
from accounts.trip_grants import active_delegations
from community.selectors_audience import followers_waiting
from community.selectors_inbox import flagged_mentions_waiting, new_concerns, open_incidents
from moderation.selectors import policy_dashboard_panels
from posts.models import Post, PostStatus, TakeDownRequest

# Panels that list things show at most this many; their pages have the rest.
DASHBOARD_ROWS = 5


def dashboard_panels(*, membership: Membership) -> dict:
    """What waits for this person, by what their roles let them do."""
    school = membership.school
    panels: dict = {"drafting_accounts": social_accounts_for_drafting(membership=membership)}
    if has_perm(membership, Perm.INVITE_STAFF):
        panels["pending_invitations"] = Invitation.objects.filter(
            school=school, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
    if has_perm(membership, Perm.MANAGE_STAFF):
        has_totp = Authenticator.objects.filter(user=OuterRef("user"), type=Authenticator.Type.TOTP)
        staff = memberships_with_roles().filter(school=school, is_active=True).annotate(has_totp=Exists(has_totp))
        panels["staff_without_second_factor"] = [m for m in staff if requires_second_factor(m) and not m.has_totp]
    if has_perm(membership, Perm.APPROVE_POSTS):
        panels["take_downs_waiting"] = TakeDownRequest.objects.filter(
            post__account__school=school, resolved_at__isnull=True
        ).count()
        panels["publishing_problems"] = list(
            Post.objects.filter(account__school=school)
            .filter(Q(status=PostStatus.FAILED) | (Q(status=PostStatus.SCHEDULED) & ~Q(last_publish_error="")))
            .select_related("account", "author")
            .order_by("-updated_at")[:20]
        )
    if has_perm(membership, Perm.MANAGE_SOCIAL_ACCOUNTS):
        panels["accounts_needing_attention"] = list(
            SocialAccount.objects.filter(school=school, status=SocialAccount.Status.ERROR)
        )
        panels["trips_on_now"] = list(
            active_delegations(school=school).select_related("account", "delegate").order_by("ends_on")
        )
    if has_perm(membership, Perm.REVIEW_AUDIENCE):
        panels["followers_waiting"] = followers_waiting(school=school)
    if has_perm(membership, Perm.REVIEW_AUDIENCE):
        panels["flagged_mentions"] = flagged_mentions_waiting(school=school)
    if has_perm(membership, Perm.VIEW_INCIDENTS):
        panels["new_concerns"] = list(new_concerns(school=school)[:DASHBOARD_ROWS])
        panels["open_incidents"] = list(open_incidents(school=school)[:DASHBOARD_ROWS])
    panels.update(policy_dashboard_panels(membership=membership))
    return panels
