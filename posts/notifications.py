"""Emails about posts: approvers hear when a post waits for them, authors hear the decision.

Sent after the transaction commits, so nobody is told about a change that was rolled back.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, Role

from .models import Post

_APPROVER_ROLES = (Role.HEADTEACHER, Role.SENIOR_LEADER)


def _approver_emails(post: Post) -> list[str]:
    approvers = Membership.objects.filter(
        school_id=post.account.school_id, is_active=True, role_assignments__role__in=_APPROVER_ROLES
    ).exclude(user_id=post.author_id)
    return sorted(set(approvers.values_list("user__email", flat=True)))


def _send(subject: str, body: str, recipients: list[str]) -> None:
    if recipients:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)


def notify_submitted(post: Post) -> None:
    url = settings.SITE_URL + reverse("review_post", args=[post.pk])

    def send():
        _send(
            f"A post for {post.account.display_name} is waiting for approval",
            f"{post.author} sent a post for @{post.account.handle}:\n\n{post.text}\n\nReview it here:\n{url}\n",
            _approver_emails(post),
        )

    transaction.on_commit(send)


def notify_decision(post: Post, *, decision: str, note: str = "") -> None:
    """`decision` is a sentence such as "was approved"; `note` the approver's words, if any."""
    url = settings.SITE_URL + reverse("post_list_mine")
    body = f"Your post for @{post.account.handle} {decision}.\n\n{post.text}\n"
    if note:
        body += f"\nThe approver wrote:\n{note}\n"
    body += f"\nYour posts:\n{url}\n"

    def send():
        _send(f"Your post for {post.account.display_name} {decision}", body, [post.author.email])

    transaction.on_commit(send)
