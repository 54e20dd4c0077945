"""Reads for the private messages pages (issue 18), scoped to one school and to what the person
may see: the outgoing messages of the accounts they may write or approve for."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import Membership, SocialAccount
from accounts.permissions import may_approve_for, may_draft_for

from .models import InboxKind, MentionItem, OutgoingMessage, OutgoingMessageStatus

# Waiting for someone first, then what went wrong, then the rest, newest first.
_ORDER = [
    OutgoingMessageStatus.SUBMITTED,
    OutgoingMessageStatus.UNKNOWN,
    OutgoingMessageStatus.FAILED,
    OutgoingMessageStatus.CHANGES_REQUESTED,
    OutgoingMessageStatus.DRAFT,
    OutgoingMessageStatus.APPROVED,
    OutgoingMessageStatus.SENDING,
]


def visible_accounts(*, member: Membership) -> list[SocialAccount]:
    """The school's accounts whose messages this person may see: those they write or approve for."""
    accounts = (
        SocialAccount.objects.filter(school=member.school)
        .select_related("class_group")
        .order_by("kind", "display_name")
    )
    return [account for account in accounts if may_draft_for(member, account) or may_approve_for(member, account)]


def writable_accounts(*, member: Membership) -> list[SocialAccount]:
    accounts = SocialAccount.objects.filter(school=member.school).order_by("kind", "display_name")
    return [account for account in accounts if may_draft_for(member, account)]


def outgoing_messages(*, member: Membership, accounts: list[SocialAccount]) -> QuerySet[OutgoingMessage]:
    rank = Case(
        *(When(status=status, then=Value(order)) for order, status in enumerate(_ORDER)),
        default=Value(len(_ORDER)),
        output_field=IntegerField(),
    )
    return (
        OutgoingMessage.objects.filter(account__school=member.school, account__in=accounts)
        .select_related("account", "author", "reviewed_by")
        .annotate(rank=rank)
        .order_by("rank", "-created_at", "-pk")
    )


def outgoing_message_for(*, member: Membership, pk: int) -> OutgoingMessage:
    """The school's message; OutgoingMessage.DoesNotExist for another school's."""
    return OutgoingMessage.objects.select_related("account", "author", "reviewed_by").get(
        account__school=member.school, pk=pk
    )


def incoming_messages(*, member: Membership, limit: int = 50) -> QuerySet[MentionItem]:
    return (
        MentionItem.objects.filter(account__school=member.school, kind=InboxKind.MESSAGE)
        .select_related("account", "decided_by")
        .order_by("-flagged", "-created_at", "-pk")[:limit]
    )
