from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import Invitation, Membership, SocialAccount
from accounts.permissions import Perm, has_perm, may_review_posts, on_approval_step_sql, requires_second_factor
from accounts.selectors import social_accounts_for_drafting, staff_account_reminders
from accounts.trip_grants import active_delegations
from community.selectors_audience import followers_to_review
from community.selectors_inbox import mention_items, new_concerns, open_incidents
from consent.work import consent_work, withdrawals_lately
from moderation.rules import Severity
from moderation.selectors import policy_dashboard_panels, rules_for_school
from posts.models import TakeDownRequest
from posts.selectors_dashboard import (
    COUNT_CAP,
    approvals_waiting,
    authors_posts,
    publishing_problem_posts,
    publishing_problems,
    waiting_for_approval,
)
from posts.services.trip_mode import delegations_for_delegate

from .counting import counts_together

# Panels that list things show at most this many; their pages have the rest.
DASHBOARD_ROWS = 5


def _figures(membership: Membership) -> dict[str, int]:
    """Every count the person's panels show, in one query: each panel then reads its rows only if
    it has any. Counts of posts stop past COUNT_CAP, as the panels say ("more than 1,000")."""
    school, user = membership.school, membership.user
    rows: dict[str, QuerySet] = {}
    caps: dict[str, int] = {}
    if may_review_posts(membership):
        rows["approvals"] = approvals_waiting(school=school, approver=user)
        caps["approvals"] = COUNT_CAP
    if has_perm(membership, Perm.APPROVE_POSTS):
        rows["publishing_problems"] = publishing_problem_posts(school=school)
        caps["publishing_problems"] = COUNT_CAP
        rows["take_downs_waiting"] = TakeDownRequest.objects.filter(
            post__account__school=school, resolved_at__isnull=True
        )
    if has_perm(membership, Perm.MANAGE_CONSENT):
        rows["withdrawn"] = withdrawals_lately(school=school)
    if has_perm(membership, Perm.VIEW_INCIDENTS):
        rows["new_concerns"] = new_concerns(school=school)
        rows["open_incidents"] = open_incidents(school=school)
    if has_perm(membership, Perm.REVIEW_AUDIENCE):
        rows["followers_waiting"] = followers_to_review(school=school)
        rows["followers_flagged"] = followers_to_review(school=school).filter(flagged=True)
        rows["flagged_mentions"] = mention_items(school=school).filter(flagged=True)
    if has_perm(membership, Perm.INVITE_STAFF):
        rows["pending_invitations"] = Invitation.objects.filter(
            school=school, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
    if has_perm(membership, Perm.EDIT_RULES):
        rules = rules_for_school(school=school).filter(enabled=True)
        rows["rules_block"] = rules.filter(severity=Severity.BLOCK)
        rows["rules_warn"] = rules.filter(severity=Severity.WARN)
    return counts_together(school=school, rows=rows, caps=caps)


def dashboard_panels(*, membership: Membership) -> dict:
    """What waits for this person, by what their roles let them do.

    Every panel is asked for only when the person's roles include it, its figures are counted
    together in one query (`_figures`), and its rows are read only when there are some, so the
    page costs a fixed number of queries whatever the amount of data. `nothing_waiting` is True
    when none of the panels that ask the person to do something has anything in it.
    """
    school = membership.school
    user = membership.user
    figures = _figures(membership)
    panels: dict = {"drafting_accounts": social_accounts_for_drafting(membership=membership), "rows": DASHBOARD_ROWS}
    panels["staff_account_reminders"] = staff_account_reminders(membership=membership)
    work: list[int | bool] = []

    if may_review_posts(membership):
        # Approvers, and whoever an approval step names: the posts waiting for them.
        panels["approvals"] = waiting_for_approval(
            school=school, approver=user, rows=DASHBOARD_ROWS, count=figures["approvals"]
        )
        work.append(panels["approvals"].count)
    if has_perm(membership, Perm.APPROVE_POSTS):
        panels["publishing_problems"], panels["publishing_problems_count"] = publishing_problems(
            school=school, rows=DASHBOARD_ROWS, count=figures["publishing_problems"]
        )
        panels["take_downs_waiting"] = figures["take_downs_waiting"]
        work += [panels["publishing_problems_count"], panels["take_downs_waiting"]]

    if has_perm(membership, Perm.DRAFT_POSTS):
        panels["mine"] = authors_posts(school=school, author=user, rows=DASHBOARD_ROWS)
        panels["my_trips"] = delegations_for_delegate(membership=membership)
        work += [panels["mine"].sent_back_count, panels["mine"].drafts_count]

    if has_perm(membership, Perm.MANAGE_CONSENT):
        panels["consent"] = consent_work(school=school, rows=DASHBOARD_ROWS, withdrawn_count=figures["withdrawn"])
        work.append(panels["consent"].anything)

    if has_perm(membership, Perm.VIEW_INCIDENTS):
        panels["new_concerns_count"] = figures["new_concerns"]
        panels["open_incidents_count"] = figures["open_incidents"]
        panels["new_concerns"] = _first_rows(new_concerns(school=school), figures["new_concerns"])
        panels["open_incidents"] = _first_rows(open_incidents(school=school), figures["open_incidents"])
        work += [panels["new_concerns_count"], panels["open_incidents_count"]]

    if has_perm(membership, Perm.REVIEW_AUDIENCE):
        panels["followers_waiting"] = {"total": figures["followers_waiting"], "flagged": figures["followers_flagged"]}
        panels["flagged_mentions"] = figures["flagged_mentions"]
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
        panels["pending_invitations"] = figures["pending_invitations"]
    if has_perm(membership, Perm.MANAGE_STAFF):
        has_totp = Authenticator.objects.filter(user=OuterRef("user"), type=Authenticator.Type.TOTP)
        # Their roles say who needs a second factor; their classes, which the staff page shows, are not read.
        staff = (
            Membership.objects.filter(school=school, is_active=True)
            .select_related("user")
            .prefetch_related("role_assignments")
            .annotate(has_totp=Exists(has_totp), on_approval_step_now=on_approval_step_sql())
        )
        panels["staff_without_second_factor"] = [m for m in staff if requires_second_factor(m) and not m.has_totp]

    if has_perm(membership, Perm.EDIT_RULES):
        panels["rules_in_force"] = {"block": figures["rules_block"], "warn": figures["rules_warn"]}

    panels.update(policy_dashboard_panels(membership=membership))
    work += [panels["policy_to_read"] is not None, panels.get("policy_draft_waiting") is not None]
    work.append(len(panels["staff_account_reminders"]))
    panels["nothing_waiting"] = not any(work)
    return panels


def _first_rows(rows: QuerySet, count: int) -> list:
    """The first DASHBOARD_ROWS of a list already counted: no query when there are none."""
    return list(rows[:DASHBOARD_ROWS]) if count else []
