"""Reads for the mentions inbox, concerns and incidents, always scoped to one school."""

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from accounts.models import School, SocialAccount

from .models import Concern, Incident, IncidentStatus, MentionItem, MentionStatus, MentionSync

_MOST_SERIOUS_FIRST = ["critical", "high", "medium", "low"]

# The inbox's "to do" view: mentions nobody has decided about yet.
WAITING = "waiting"


def mention_items(
    *, school: School, account_id: int | None = None, status: str = WAITING, kind: str = ""
) -> QuerySet[MentionItem]:
    """Flagged first, then newest; `status` is a MentionStatus, WAITING (new ones) or "" (all);
    `kind` an InboxKind (mentions or private messages) or "" (both)."""
    items = MentionItem.objects.filter(account__school=school).select_related("account", "decided_by", "incident")
    if kind:
        items = items.filter(kind=kind)
    if account_id is not None:
        items = items.filter(account_id=account_id)
    if status == WAITING:
        items = items.filter(status=MentionStatus.NEW)
    elif status:
        items = items.filter(status=status)
    return items.order_by("-flagged", "-created_at", "-pk")


def mention_for_school(*, school: School, pk: int) -> MentionItem:
    return MentionItem.objects.select_related("account", "incident").get(account__school=school, pk=pk)


def mention_syncs(*, school: School) -> list[MentionSync]:
    """How fetching went for each of the school's accounts (the inbox says when it cannot)."""
    return list(
        MentionSync.objects.filter(account__school=school).select_related("account").order_by("account__handle")
    )


def school_accounts(*, school: School) -> QuerySet[SocialAccount]:
    return SocialAccount.objects.filter(school=school).order_by("kind", "display_name")


def concerns(*, school: School) -> QuerySet[Concern]:
    """New concerns first, then newest."""
    return (
        Concern.objects.filter(school=school)
        .select_related("raised_by", "post__account", "mention__account", "incident", "resolved_by")
        .annotate(waiting=Q(incident__isnull=True) & Q(resolved_at__isnull=True))
        .order_by("-waiting", "-created_at", "-pk")
    )


def concern_for_school(*, school: School, pk: int) -> Concern:
    return Concern.objects.select_related(
        "raised_by", "post__account", "post__author", "mention__account", "incident", "resolved_by"
    ).get(school=school, pk=pk)


def new_concerns(*, school: School) -> QuerySet[Concern]:
    return concerns(school=school).filter(incident__isnull=True, resolved_at__isnull=True)


def incidents(*, school: School) -> QuerySet[Incident]:
    """Open incidents first (most serious first), then closed ones, newest first."""
    rank = Case(
        *(When(severity=severity, then=Value(order)) for order, severity in enumerate(_MOST_SERIOUS_FIRST)),
        output_field=IntegerField(),
    )
    return (
        Incident.objects.filter(school=school)
        .select_related("opened_by", "closed_by")
        .annotate(is_open=Q(status=IncidentStatus.OPEN), severity_rank=rank, concern_count=Count("concerns"))
        .order_by("-is_open", "severity_rank", "-opened_at", "-pk")
    )


def incident_for_school(*, school: School, pk: int) -> Incident:
    return Incident.objects.select_related("opened_by", "closed_by").get(school=school, pk=pk)


def open_incidents(*, school: School) -> QuerySet[Incident]:
    return incidents(school=school).filter(status=IncidentStatus.OPEN)


def incident_timeline(*, incident: Incident):
    return incident.entries.select_related("author").order_by("created_at", "pk")
