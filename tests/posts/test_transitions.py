"""The one function every change of a post's status goes through."""

import pytest

from audit.models import AuditEvent
from posts.models import Post, PostStatus
from posts.services.transitions import ALLOWED, TransitionError, transition


def test_every_status_has_its_allowed_moves():
    assert set(ALLOWED) == set(PostStatus.values)
    assert all(targets <= set(PostStatus.values) for targets in ALLOWED.values())


def test_a_move_the_lifecycle_does_not_have_is_a_programming_error(make_post):
    post = make_post()

    with pytest.raises(ValueError):
        transition(post, from_statuses=[PostStatus.DRAFT], to=PostStatus.PUBLISHED)

    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT


def test_a_move_claims_the_row_sets_the_instance_and_writes_the_audit_entry(make_post, staff):
    post = make_post()

    moved = transition(
        post, from_statuses=[PostStatus.DRAFT], to=PostStatus.SUBMITTED, action="post.submitted", actor=staff.teacher
    )

    assert moved and post.status == PostStatus.SUBMITTED
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED
    entry = AuditEvent.objects.filter(action="post.submitted").get()
    assert entry.actor == staff.teacher.user


def test_whoever_comes_second_is_told_where_the_post_is_now(make_post):
    post = make_post()
    Post.objects.filter(pk=post.pk).update(status=PostStatus.WITHDRAWN)

    with pytest.raises(TransitionError, match="now withdrawn"):
        transition(post, from_statuses=[PostStatus.DRAFT], to=PostStatus.SUBMITTED, action="post.submitted")

    assert not AuditEvent.objects.filter(action="post.submitted").exists()
    assert transition(post, from_statuses=[PostStatus.DRAFT], to=PostStatus.SUBMITTED, missing_ok=True) is False
