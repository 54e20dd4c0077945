from allauth.mfa.models import Authenticator
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Invitation, Membership, SocialAccount
from accounts.permissions import Perm, has_perm, requires_second_factor
from accounts.selectors import memberships_with_roles, social_accounts_for_drafting
from accounts.trip_grants import active_delegations
from community.selectors_audience import followers_waiting
from community.selectors_inbox import flagged_mentions_waiting, new_concerns, open_incidents
from consent.work import consent_work
from moderation.rules import Severity
from moderation.selectors import policy_dashboard_panels, rules_for_school
from posts.models import TakeDownRequest
from posts.selectors_dashboard import authors_posts, publishing_problems, waiting_for_approval
from posts.services.trip_mode import delegations_for_delegate

# Panels that list things show at most this many; their pages have the rest.
DASHBOARD_ROWS = 5


def dashboard_panels(*, membership: Membership) -> dict:
    """What waits for this person, by what their roles let them do.

    Every panel is asked for only when the person's roles include it, and each costs a fixed
    number of queries, so the page does too whatever the amount of data. `nothing_waiting` is
    True when none of the panels that ask the person to do something has anything in it.
    """
    school = membership.school
    user = membership.user
    panels: dict = {"drafting_accounts": social_accounts_for_drafting(membership=membership), "rows": DASHBOARD_ROWS}
    work: list[int | bool] = []

    if has_perm(membership, Perm.APPROVE_POSTS):
        panels["approvals"] = waiting_for_approval(school=school, approver=user, rows=DASHBOARD_ROWS)
        panels["publishing_problems"], panels["publishing_problems_count"] = publishing_problems(
            school=school, rows=DASHBOARD_ROWS
        )
        panels["take_downs_waiting"] = TakeDownRequest.objects.filter(
            post__account__school=school, resolved_at__isnull=True
        ).count()
        work += [panels["approvals"].count, panels["publishing_problems_count"], panels["take_downs_waiting"]]

    if has_perm(membership, Perm.DRAFT_POSTS):
        panels["mine"] = authors_posts(school=school, author=user, rows=DASHBOARD_ROWS)
        panels["my_trips"] = delegations_for_delegate(membership=membership)
        work += [panels["mine"].sent_back_count, panels["mine"].drafts_count]

    if has_perm(membership, Perm.MANAGE_CONSENT):
        panels["consent"] = consent_work(school=school, rows=DASHBOARD_ROWS)
        work.append(panels["consent"].anything)

    if has_perm(membership, Perm.VIEW_INCIDENTS):
        concerns, incidents = new_concerns(school=school), open_incidents(school=school)
        panels["new_concerns"] = list(concerns[:DASHBOARD_ROWS])
        panels["open_incidents"] = list(incidents[:DASHBOARD_ROWS])
        panels["new_concerns_count"] = concerns.count() if panels["new_concerns"] else 0
        panels["open_incidents_count"] = incidents.count() if panels["open_incidents"] else 0
        work += [panels["new_concerns_count"], panels["open_incidents_count"]]

    if has_perm(membership, Perm.REVIEW_AUDIENCE):
        panels["followers_waiting"] = followers_waiting(school=school)
        panels["flagged_mentions"] = flagged_mentions_waiting(school=school)
        work += [panels["followers_waiting"]["total"], panels["flagged_mentions"]]

    if has_perm(membership, Perm.MANAGE_SOCIAL_ACCOUNTS):
        panels["accounts_needing_attention"] = list(
            SocialAccount.objects.filter(school=school, status=SocialAccount.Status.ERROR).defer("credentials")
        )
        panels["trips_on_now"] = list(
            active_delegations(school=school).select_related("account", "delegate").order_by("ends_on")
        )
        work.append(len(panels["accounts_needing_attention"]))

    if has_perm(membership, Perm.INVITE_STAFF):
        panels["pending_invitations"] = Invitation.objects.filter(
            school=school, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
    if has_perm(membership, Perm.MANAGE_STAFF):
        has_totp = Authenticator.objects.filter(user=OuterRef("user"), type=Authenticator.Type.TOTP)
        staff = memberships_with_roles().filter(school=school, is_active=True).annotate(has_totp=Exists(has_totp))
        panels["staff_without_second_factor"] = [m for m in staff if requires_second_factor(m) and not m.has_totp]

    if has_perm(membership, Perm.EDIT_RULES):
        panels["rules_in_force"] = rules_for_school(school=school).aggregate(
            block=Count("pk", filter=Q(enabled=True, severity=Severity.BLOCK)),
            warn=Count("pk", filter=Q(enabled=True, severity=Severity.WARN)),
        )

    panels.update(policy_dashboard_panels(membership=membership))
    work += [panels["policy_to_read"] is not None, panels.get("policy_draft_waiting") is not None]
    panels["nothing_waiting"] = not any(work)
    return panels
