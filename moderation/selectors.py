"""Reads of the school's wording rules."""

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import Membership, School
from accounts.permissions import Perm, has_perm
from accounts.selectors import memberships_with_roles

from .models import PolicyAcknowledgement, PolicyVersion, Rule, RulebookVersion
from .policy import policy_default_text, section_anchors


def rules_for_school(*, school: School) -> QuerySet[Rule]:
    """The school's rules, on and off, with their accounts (for the settings page)."""
    return Rule.objects.filter(school=school).select_related("account").order_by("type", "pk")


def rulebook_token(*, school_id: int) -> str | None:
    """The token that changes whenever anything the rules engine reads for the school changes.

    None for a school that has never had one (the engine then builds afresh every time).
    """
    return RulebookVersion.objects.filter(school_id=school_id).values_list("token", flat=True).first()


# The school's policy.

# How long before a policy's review date the headteacher is reminded, and the dashboard warns.
REVIEW_REMINDER_DAYS = 30


def signed_off_policy_versions(*, school: School) -> QuerySet[PolicyVersion]:
    """The school's adopted versions, newest first: the first is the current policy."""
    return (
        PolicyVersion.objects.filter(school=school, signed_off_at__isnull=False)
        .select_related("signed_off_by", "created_by")
        .order_by("-number")
    )


def current_policy(*, school: School) -> PolicyVersion | None:
    """The policy in force: the latest signed-off version (None before the school adopts one)."""
    return signed_off_policy_versions(school=school).first()


def policy_draft(*, school: School) -> PolicyVersion | None:
    """The version being written and not yet signed off (a school has at most one)."""
    return PolicyVersion.objects.filter(school=school, signed_off_at__isnull=True).select_related("created_by").first()


def has_acknowledged(*, user, version: PolicyVersion) -> bool:
    return PolicyAcknowledgement.objects.filter(user=user, version=version).exists()


def must_acknowledge_policy(membership: Membership) -> PolicyVersion | None:
    """The current policy when this member of staff has not yet confirmed reading it; None when
    they have, or when the school has not signed off a policy yet (nothing to read)."""
    has_read = PolicyAcknowledgement.objects.filter(version=OuterRef("pk"), user_id=membership.user_id)
    current = (
        PolicyVersion.objects.filter(school_id=membership.school_id, signed_off_at__isnull=False)
        .annotate(has_read=Exists(has_read))
        .order_by("-number")
        .first()
    )
    if current is None or current.has_read:
        return None
    return current


def policy_readers(*, version: PolicyVersion) -> tuple[list[Membership], list[Membership]]:
    """(who has confirmed reading the version, who has not yet) among the school's active staff."""
    read = set(PolicyAcknowledgement.objects.filter(version=version).values_list("user_id", flat=True))
    staff = list(
        Membership.objects.filter(school_id=version.school_id, is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    return [m for m in staff if m.user_id in read], [m for m in staff if m.user_id not in read]


def rules_by_paragraph(*, school: School) -> dict[str, list[Rule]]:
    """The school's rules that are on, by the policy paragraph they put into practice."""
    grouped: dict[str, list[Rule]] = {}
    for rule in rules_for_school(school=school).filter(enabled=True).exclude(policy_paragraph=""):
        grouped.setdefault(rule.policy_paragraph, []).append(rule)
    return grouped


def policy_paragraph_choices(*, school: School) -> dict[str, str]:
    """Anchor -> heading of the sections a rule can link to: those of the current policy, or of
    the draft or the default text while the school has no signed-off policy."""
    version = current_policy(school=school) or policy_draft(school=school)
    return section_anchors(version.body if version is not None else policy_default_text(school))


def headteachers(*, school: School) -> list[Membership]:
    """The active staff who sign off the policy (and so are reminded to review it)."""
    staff = memberships_with_roles().filter(school=school, is_active=True)
    return [membership for membership in staff if has_perm(membership, Perm.SIGN_OFF_POLICY)]


def policy_versions_due_review_reminder(*, on: date) -> list[int]:
    """Ids of every school's current policy whose review falls due within REVIEW_REMINDER_DAYS
    of `on` (or is overdue) and whose headteacher has not been reminded yet."""
    later = PolicyVersion.objects.filter(
        school=OuterRef("school"), signed_off_at__isnull=False, number__gt=OuterRef("number")
    )
    return list(
        PolicyVersion.objects.filter(
            signed_off_at__isnull=False,
            review_reminder_sent_at__isnull=True,
            review_due__lte=on + timedelta(days=REVIEW_REMINDER_DAYS),
        )
        .exclude(Exists(later))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def policy_dashboard_panels(*, membership: Membership) -> dict:
    """The dashboard's policy panels: what to read, and for the headteacher, the review date and
    any draft waiting for sign-off."""
    panels: dict = {"policy_to_read": must_acknowledge_policy(membership)}
    if has_perm(membership, Perm.SIGN_OFF_POLICY):
        current = current_policy(school=membership.school)
        today = timezone.localdate()
        panels["policy_current"] = current
        panels["policy_draft_waiting"] = policy_draft(school=membership.school)
        if current is not None:
            panels["policy_review_overdue"] = current.review_due < today
            panels["policy_review_soon"] = current.review_due <= today + timedelta(days=REVIEW_REMINDER_DAYS)
    return panels
