"""Every change to a post happens in this package, one module per part of its life:

- `compose`: drafts, edits, photos and descriptions, sending for approval, withdrawing;
- `destinations`: the other accounts a post also goes to, each with its own words or the post's;
- `review`: approving (and handing over to the publisher), asking for changes, rejecting,
  taking down, comments, stopping a post whose consent changed;
- `trip_mode`: approving on a delegate's authority while the whole-school account is lent out;
- `publishing`: the workers' claim, network call and record, retries and reconciliation;
- `photos`: faces and pupil tags on a post's photos;
- `checks`: what a post must pass (its content, the school's rules, consent);
- `transitions`: `transition`, the one function every status change goes through (allowed
  moves, the conditional UPDATE, the audit entry).

Views and other apps call the names below; the modules are the implementation.
"""

from .checks import (
    EMPTY_POST,
    POST_LENGTH_LIMIT,
    ContentProblem,
    PostBlocked,
    consent_check,
    post_content_problems,
    post_length_problem,
    refuse_if_blocked,
    rules_findings,
)
from .compose import (
    MAX_ALT_TEXT_CHARS,
    MAX_PHOTOS,
    TOO_MANY_PHOTOS,
    ContentRefused,
    post_add_image,
    post_create,
    post_draft_create,
    post_edit_check,
    post_remove_image,
    post_send_for_approval,
    post_set_alt_text,
    post_set_photo_source,
    post_submit,
    post_update,
    post_withdraw,
)
from .destinations import MAX_DESTINATION_TEXT_CHARS, destination_choices, post_set_destinations
from .review import (
    REPOST_PICTURES_CONFIRMATION,
    UNREAD_OUTSIDE_CONFIRMATION,
    TakeDownFailed,
    approve_and_hand_over,
    authors_time,
    post_approve,
    post_comment,
    post_reject,
    post_request_changes,
    post_stop_for_consent,
    post_take_down,
    post_take_down_everywhere,
    unread_outside_message,
)
from .transitions import TransitionError, transition

__all__ = [
    "EMPTY_POST",
    "MAX_ALT_TEXT_CHARS",
    "MAX_DESTINATION_TEXT_CHARS",
    "MAX_PHOTOS",
    "POST_LENGTH_LIMIT",
    "TOO_MANY_PHOTOS",
    "REPOST_PICTURES_CONFIRMATION",
    "UNREAD_OUTSIDE_CONFIRMATION",
    "ContentProblem",
    "ContentRefused",
    "PostBlocked",
    "TakeDownFailed",
    "TransitionError",
    "approve_and_hand_over",
    "authors_time",
    "consent_check",
    "destination_choices",
    "post_add_image",
    "post_approve",
    "post_comment",
    "post_content_problems",
    "post_create",
    "post_draft_create",
    "post_edit_check",
    "post_length_problem",
    "post_reject",
    "post_remove_image",
    "post_request_changes",
    "post_send_for_approval",
    "post_set_alt_text",
    "post_set_photo_source",
    "post_set_destinations",
    "post_stop_for_consent",
    "post_submit",
    "post_take_down",
    "post_take_down_everywhere",
    "post_update",
    "post_withdraw",
    "refuse_if_blocked",
    "rules_findings",
    "transition",
    "unread_outside_message",
]
