"""The one way a post's status changes.

`transition` knows which moves the lifecycle allows (DESIGN.md, "Post lifecycle"), claims the row
with a conditional UPDATE whose row count must be 1 (so of two people or workers acting at once,
one wins and the other is told), and writes the audit entry, all in one transaction. The services
around it check permissions and content first, and do what follows the move afterwards.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership
from audit.services import record

from ..models import Post, PostStatus

S = PostStatus

# From each status, where a post may go next.
ALLOWED: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.APPROVED, S.SCHEDULED, S.DRAFT, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.PUBLISHING, S.DRAFT, S.WITHDRAWN}),
    S.SCHEDULED: frozenset({S.PUBLISHING, S.DRAFT, S.WITHDRAWN}),
    # Stopped at publish time, published, retried later, or given up on.
    S.PUBLISHING: frozenset({S.DRAFT, S.PUBLISHED, S.SCHEDULED, S.FAILED}),
    # "Try again" on a failed post; or the network turns out to have it after all.
    S.FAILED: frozenset({S.APPROVED, S.PUBLISHED}),
    S.PUBLISHED: frozenset({S.TAKEN_DOWN}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.TAKEN_DOWN: frozenset(),
}


class TransitionError(Exception):
    """The post is not in a state that allows this; the message says what happened instead."""


def transition(
    post: Post,
    *,
    to: str,
    from_statuses: Iterable[str],
    action: str = "",
    actor: Membership | None = None,
    data: dict | None = None,
    among: QuerySet | None = None,
    missing_ok: bool = False,
    refusal: str = "",
    network_has_it: bool = False,
    **fields,
) -> bool:
    """Move `post` from one of `from_statuses` to `to`, setting `fields` on the row too, and
    record `action` in the audit trail (by `actor` when a person did it).

    `among` narrows the rows that may be claimed further (the publisher claims only due posts).
    When the post is no longer in one of `from_statuses` (someone got there first): returns False
    if `missing_ok`, else raises TransitionError with `refusal` or a message saying where it is.
    The instance's status and plain `fields` are updated to match the row.

    `network_has_it` records a post the network has published whatever its status here says
    (a worker published it while someone marked it failed): the record must match the network.
    """
    from_statuses = list(from_statuses)
    for source in from_statuses:
        if to not in ALLOWED[source] and not (network_has_it and to == PostStatus.PUBLISHED):
            raise ValueError(f"A post does not go from {source} to {to}.")
    fields.setdefault("updated_at", timezone.now())
    rows = (among if among is not None else Post.objects).filter(pk=post.pk, status__in=from_statuses)
    # The move and its audit entry commit together: in the caller's transaction when there is
    # one (without a savepoint, which would cost two more statements per move: the refusal
    # below is raised after the block, so a caller that catches it can carry on), else in one
    # of their own.
    with transaction.atomic(savepoint=False):
        moved = rows.update(status=to, **fields) == 1
        if moved:
            post.status = to
            for name, value in fields.items():
                if not hasattr(value, "resolve_expression"):
                    setattr(post, name, value)
            if action:
                record(
                    action=action,
                    actor=actor.user if actor is not None else None,
                    school=post.account.school,
                    target=post,
                    data=data,
                )
    if moved:
        return True
    if missing_ok:
        return False
    if refusal:
        raise TransitionError(refusal)
    current = Post.objects.filter(pk=post.pk).values_list("status", flat=True).first()
    label = PostStatus(current).label.lower() if current else "deleted"
    raise TransitionError(f"This post is now {label}, so that cannot be done. Reload the page to see it.")
