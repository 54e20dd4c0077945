"""The other accounts a post goes to (issue 17): its author chooses them on the compose page,
each with its own words or the post's.

They change under the same rule as the post's text (`post_edit_check`): by its author, while
it is a draft or waiting for approval, and a change to a post waiting for approval takes it
back to the drafts. After the first submission each change is kept as a PostRevision, so the
approver sees "Another account added: @school.bsky.social (Bluesky)".
"""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Membership, SocialAccount
from accounts.permissions import may_draft_for
from audit.services import record
from networks.limits import short_name, shown_handle

from ..models import Post, PostDestination, PostRevision
from .compose import ContentRefused, _locked_for_edit, _reopen_if_submitted, _revise

# As for the post's own text: far beyond any network's limit, small enough to check at once.
MAX_DESTINATION_TEXT_CHARS = 5000


def account_name(account: SocialAccount) -> str:
    """How a change names an account: "@school.bsky.social (Bluesky)"."""
    return f"{shown_handle(account)} ({short_name(account.network)})"


def _words_label(account: SocialAccount, text: str) -> str:
    return f"For {account_name(account)}: {text or 'the same words as the post'}"


def _check_choices(actor: Membership, post: Post, choices: Sequence[tuple[SocialAccount, str]]) -> list[tuple]:
    """The choices as (account, words), words "" for the post's own; refused with a reason."""
    if post.repost_url and choices:
        # A repost shares a post on its own account's network only (issue 18).
        raise ContentRefused("A repost goes to one account: repost it from each account separately.")
    seen: set[int] = set()
    cleaned = []
    for account, text in choices:
        if account.school_id != post.account.school_id:
            raise PermissionDenied("That account belongs to another school.")
        if not may_draft_for(actor, account):
            raise PermissionDenied(f"You do not post for {account_name(account)}, so the post cannot go there.")
        if account.pk == post.account_id:
            raise ContentRefused(f"This post is already for {account_name(account)}. Untick it under “Also post to”.")
        if account.pk in seen:
            raise ContentRefused(f"{account_name(account)} is chosen twice. Choose each account once.")
        if account.status != SocialAccount.Status.ACTIVE:
            raise ContentRefused(
                f"Nothing can be posted to {account_name(account)} at the moment: the portal shows it as "
                f"“{account.get_status_display()}”. Untick it, or ask the headteacher to connect it again."
            )
        text = text or ""
        if not text.strip() or text == post.text:
            text = ""  # the same words as the post, which then follow any change to the post
        if len(text) > MAX_DESTINATION_TEXT_CHARS:
            raise ContentRefused(
                f"The words for {account_name(account)} are far longer than any post can be. "
                f"Keep them under {MAX_DESTINATION_TEXT_CHARS:,} characters."
            )
        seen.add(account.pk)
        cleaned.append((account, text))
    return cleaned


def post_set_destinations(
    *, actor: Membership, post: Post, choices: Sequence[tuple[SocialAccount, str]]
) -> list[PostRevision]:
    """Make `choices` (account, words; words "" for the post's own) the other accounts the post
    goes to, in that order. Returns the revisions kept (none before the first submission, or
    when nothing changed).

    PermissionDenied: the actor may not change the post, or does not post for an account.
    ContentRefused: an account cannot be chosen (the post's own, twice, not connected).
    TransitionError: the post has gone past approval."""
    with transaction.atomic():
        current = _locked_for_edit(actor, post)
        wanted = _check_choices(actor, current, choices)
        existing = {row.account_id: row for row in current.destinations.select_related("account")}
        wanted_ids = {account.pk for account, _ in wanted}

        changes = []
        for account, text in wanted:
            row = existing.get(account.pk)
            if row is None:
                changes.append((PostRevision.What.ALSO_TO_ADDED, "", _words_label(account, text)))
            elif row.text != text:
                before, after = _words_label(account, row.text), _words_label(account, text)
                changes.append((PostRevision.What.ALSO_TO_TEXT, before, after))
        for account_id, row in existing.items():
            if account_id not in wanted_ids:
                changes.append((PostRevision.What.ALSO_TO_REMOVED, account_name(row.account), ""))
        moved = [
            account.pk
            for position, (account, _) in enumerate(wanted)
            if account.pk in existing and existing[account.pk].position != position
        ]
        if not changes and not moved:
            return []

        if changes:
            _reopen_if_submitted(actor, current)
        current.destinations.exclude(account_id__in=wanted_ids).delete()
        for position, (account, text) in enumerate(wanted):
            row = existing.get(account.pk)
            if row is None:
                row = PostDestination(post=current, account=account, text=text, position=position)
                row.full_clean(validate_unique=False)  # one row per account: the constraint decides
                row.save()
            elif (row.text, row.position) != (text, position):
                row.text, row.position = text, position
                row.save(update_fields=["text", "position"])
        revisions = _revise(current, actor, changes)
        record(
            action="post.destinations_changed",
            actor=actor.user,
            school=current.account.school,
            target=current,
            data={
                "accounts": [account_name(account) for account, _ in wanted],
                "changed": [what for what, _, _ in changes],
            },
        )
    post.status = current.status
    return revisions


def destination_choices(post: Post) -> list[PostDestination]:
    """The post's other accounts, in order, with their accounts loaded."""
    return list(post.destinations.select_related("account").order_by("position", "pk"))
