"""A member of staff's own preferences at a school."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from audit.services import record

from .models import ApprovalEmails, Membership
from .permissions import may_review_posts


def membership_set_approval_emails(*, actor: Membership, choice: str) -> bool:
    """How this approver hears about posts waiting for them. Returns whether anything changed."""
    if not may_review_posts(actor):
        raise PermissionDenied("Only approvers get emails about posts waiting for approval.")
    ApprovalEmails(choice)  # ValueError for anything else
    if actor.approval_emails == choice:
        return False
    with transaction.atomic():
        Membership.objects.filter(pk=actor.pk).update(approval_emails=choice)
        record(
            action="membership.approval_emails_changed",
            actor=actor.user,
            school=actor.school,
            target=actor,
            data={"before": actor.approval_emails, "after": choice},
        )
    actor.approval_emails = choice
    return True
