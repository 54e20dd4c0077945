"""Emails about posts: approvers hear when a post waits for them (at once, or in a morning
digest, as each prefers), authors hear the decision, and that it went out or could not; the
headteachers hear of every post sent during a trip and of every failure.

Sent after the transaction commits, so nobody is told about a change that was rolled back.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import ApprovalEmails, Membership, Role

from .models import Post, PostStatus
from .selectors import decidable_by

_APPROVER_ROLES = (Role.HEADTEACHER, Role.SENIOR_LEADER)


def _approver_emails(post: Post) -> list[str]:
    """Approvers who asked to hear of each post as it is sent (the others get the morning digest, or nothing)."""
    approvers = Membership.objects.filter(
        school_id=post.account.school_id,
        is_active=True,
        role_assignments__role__in=_APPROVER_ROLES,
        approval_emails=ApprovalEmails.IMMEDIATE,
    ).exclude(user_id=post.author_id)
    return sorted(set(approvers.values_list("user__email", flat=True)))


def _headteacher_emails(post: Post) -> list[str]:
    heads = Membership.objects.filter(
        school_id=post.account.school_id, is_active=True, role_assignments__role=Role.HEADTEACHER
    ).exclude(user_id=post.author_id)
    return sorted(set(heads.values_list("user__email", flat=True)))


def _was_approved_on_trip(post: Post) -> bool:
    """Nobody approves their own post, except on a trip (posts.services.trip_mode), where the delegate does."""
    return post.decided_by_id is not None and post.decided_by_id == post.author_id


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "l j F Y \\a\\t H:i")


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


def notify_published(post: Post) -> None:
    """The post is live: the author gets the link; on a trip, so do the headteachers."""
    handle = post.account.handle
    author_body = f"Your post for @{handle} is now published.\n\n{post.text}\n\nSee it here:\n{post.external_url}\n"
    trip = _was_approved_on_trip(post)
    heads_body = (
        f"{post.author} posted for @{handle} during the trip, and it is now published.\n\n{post.text}\n\n"
        f"See it here:\n{post.external_url}\n\nIf it should not be there, take it down from the portal:\n"
        f"{settings.SITE_URL + reverse('review_post', args=[post.pk])}\n"
    )

    def send():
        _send(f"Your post for {post.account.display_name} is published", author_body, [post.author.email])
        if trip:
            _send(f"Published during the trip: @{handle}", heads_body, _headteacher_emails(post))

    transaction.on_commit(send)


def notify_failed(post: Post) -> None:
    """The portal gave up publishing: the author and the headteachers hear why and what to do."""
    handle = post.account.handle
    reason = post.failure_reason or "The network did not say why."
    subject = f"A post for {post.account.display_name} could not be published"
    next_steps = (
        "Nothing has been published. Once the cause is sorted (for example the account is reconnected), "
        'try again from the portal\'s home page, under "Posts that have not gone out", or change the post '
        "and send it again."
    )
    author_body = (
        f"Your post for @{handle} could not be published.\n\nWhy: {reason}\n\n{post.text}\n\n{next_steps}\n\n"
        f"Your post:\n{settings.SITE_URL + reverse('post_edit', args=[post.pk])}\n"
    )
    heads_body = (
        f"{post.author}'s post for @{handle} could not be published.\n\nWhy: {reason}\n\n{post.text}\n\n"
        f"{next_steps}\n\nThe post:\n{settings.SITE_URL + reverse('review_post', args=[post.pk])}\n"
    )

    def send():
        _send(subject, author_body, [post.author.email])
        _send(subject, heads_body, _headteacher_emails(post))

    transaction.on_commit(send)


def _approvers_of(post: Post) -> list[str]:
    """Whoever approved the post, and the headteachers (who see every post go out or not)."""
    emails = set(_headteacher_emails(post))
    if post.decided_by_id is not None and post.decided_by_id != post.author_id:
        emails.add(post.decided_by.email)
    return sorted(emails)


def notify_partly_published(post: Post, *, went_out, did_not) -> None:
    """A post approved for several accounts went out on some of them and not on others: the
    approvers hear, in one email, which went out (with links) and which did not, and why.
    `went_out` and `did_not` are posts.services.copies.DestinationOutcome lists."""
    page = settings.SITE_URL + reverse("review_post", args=[post.pk])
    lines = ["It went out on:"]
    lines += [f"- {o.label}: {o.post.external_url or 'published'}" for o in went_out]
    lines += ["", "It did not go out on:"]
    lines += [f"- {o.label}: {o.reason}" for o in did_not]
    body = (
        f"{post.author}'s post was approved for {len(went_out) + len(did_not)} accounts, and only some of them "
        f"have it.\n\n{post.text}\n\n" + "\n".join(lines) + "\n\nOn the post's page you can try a failed one "
        f"again, or take the post down everywhere if it should not be up anywhere:\n{page}\n"
    )
    subject = f"Only partly published: {post.author}'s post for {post.account.display_name}"

    def send():
        _send(subject, body, _approvers_of(post))

    transaction.on_commit(send)


def notify_trip_post(post: Post, delegation) -> None:
    """Trip mode: a post went through without an approver; every headteacher is told at once."""
    handle = post.account.handle
    trip = f" ({delegation.note})" if delegation.note else ""
    when = f"at {_when(post.publish_at)}" if post.publish_at else "now"
    body = (
        f"{post.author} posted for @{handle} during the trip{trip}. It passed the portal's checks and is "
        f"being published {when}, without waiting for approval.\n\n{post.text}\n\n"
        f"See the post, and take it down if it should not be there:\n"
        f"{settings.SITE_URL + reverse('review_post', args=[post.pk])}\n\n"
        f"Trip mode runs until {date_format(delegation.ends_on, 'l j F Y')}. To end it sooner:\n"
        f"{settings.SITE_URL + reverse('delegation_list')}\n"
    )

    def send():
        _send(f"Posted during the trip: @{handle}", body, _headteacher_emails(post))

    transaction.on_commit(send)


def notify_delegation_created(delegation) -> None:
    """The person named for a trip hears what they may now do, and until when."""
    handle = delegation.account.handle
    body = (
        f"{delegation.created_by} has turned on trip mode for you on @{handle}, from "
        f"{date_format(delegation.starts_on, 'l j F Y')} to {date_format(delegation.ends_on, 'l j F Y')}"
        f"{f' ({delegation.note})' if delegation.note else ''}.\n\n"
        "On those days your posts for that account are published as soon as they pass the portal's checks, "
        "without waiting for approval. The headteacher is told of each one.\n\n"
        f"Write a post:\n{settings.SITE_URL + reverse('post_compose')}\n"
    )

    def send():
        _send(f"Trip mode: you can post for @{handle}", body, [delegation.delegate.email])

    transaction.on_commit(send)


def send_approval_digests() -> int:
    """One email to each approver who chose the morning digest, listing the posts waiting for
    them; nobody is emailed when nothing waits. Returns the number of emails sent."""
    approvers = list(
        Membership.objects.filter(
            # Approvers, and anyone an approval step names (decidable_by keeps to their posts).
            is_active=True,
            approval_emails=ApprovalEmails.DIGEST,
        )
        .select_related("user", "school")
        .distinct()
    )
    if not approvers:
        return 0
    waiting: dict[int, list[Post]] = {}
    posts = (
        Post.objects.filter(status=PostStatus.SUBMITTED, account__school__in={a.school_id for a in approvers})
        .select_related("account", "author")
        .order_by("submitted_at", "pk")
    )
    for post in posts:
        waiting.setdefault(post.account.school_id, []).append(post)
    queue_url = settings.SITE_URL + reverse("review_queue")
    sent = 0
    for approver in approvers:
        theirs = [p for p in waiting.get(approver.school_id, []) if p.author_id != approver.user_id]
        if not theirs:
            continue
        # Approval in more than one step: only the posts whose current step is theirs to decide.
        decidable = set(
            Post.objects.filter(pk__in=[p.pk for p in theirs])
            .filter(decidable_by(school=approver.school, approver=approver.user))
            .values_list("pk", flat=True)
        )
        theirs = [p for p in theirs if p.pk in decidable]
        if not theirs:
            continue
        count = len(theirs)
        lines = []
        for post in theirs:
            preview = post.text[:80] + ("…" if len(post.text) > 80 else "") if post.text else "(photos only)"
            since = _when(post.submitted_at) if post.submitted_at else "a while"
            lines.append(
                f"- @{post.account.handle}, from {post.author}, waiting since {since}:\n  {preview}\n"
                f"  {settings.SITE_URL + reverse('review_post', args=[post.pk])}"
            )
        body = (
            f"{count} post{'s are' if count != 1 else ' is'} waiting for approval at {approver.school.name}:\n\n"
            + "\n".join(lines)
            + f"\n\nAll posts waiting:\n{queue_url}\n\n"
            "You get this email each morning because of your email preferences in the portal.\n"
        )
        _send(f"{count} post{'s' if count != 1 else ''} waiting for your approval", body, [approver.user.email])
        sent += 1
    return sent
