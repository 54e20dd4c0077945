import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import ConsentPurpose, ConsentRecord
from consent.services import consent_withdraw
from posts import services
from posts.models import Post, PostComment, PostStatus


def _status(post) -> str:
    return Post.objects.get(pk=post.pk).status


def test_teacher_drafts_only_for_their_class_account(staff, accounts, make_post):
    assert make_post().account == accounts.year3
    with pytest.raises(PermissionDenied):
        make_post(account=accounts.whole_school)


def test_submit_then_approve_stores_the_consent_it_was_approved_under(staff, make_post, pupils):
    post = make_post(tagged=[pupils.amara])
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)

    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED and post.decided_by == staff.head.user
    shown = post.consent_snapshot["photos"][0]["pupils"][0]
    assert shown["pupil_id"] == pupils.amara.pk and shown["social_photo"]["allowed"] is True
    assert AuditEvent.objects.filter(action="post.approved", target_id=str(post.pk)).exists()


def test_a_pupil_without_photo_consent_cannot_be_submitted(staff, make_post, pupils):
    post = make_post(tagged=[pupils.ben])
    with pytest.raises(services.PostBlocked) as refused:
        services.post_submit(actor=staff.teacher, post=post)
    assert "Ben" in str(refused.value)
    assert _status(post) == PostStatus.DRAFT


def test_a_never_publish_pupil_blocks_whoever_approves(staff, make_post, pupils):
    post = make_post(tagged=[pupils.cleo])
    with pytest.raises(services.PostBlocked, match="do not publish"):
        services.post_submit(actor=staff.teacher, post=post)


def test_an_unresolved_face_is_refused_at_submission_as_it_would_be_at_approval(staff, make_post, pupils):
    post = make_post(tagged=[pupils.amara], faces=[("", None)])
    with pytest.raises(services.PostBlocked, match="Face 1 in Photo 1 is not resolved") as refused:
        services.post_submit(actor=staff.teacher, post=post)
    assert [problem.code for problem in refused.value.problems] == ["face_unresolved"]
    assert _status(post) == PostStatus.DRAFT


def test_nobody_approves_their_own_post(staff, accounts, make_post):
    post = make_post(author=staff.slt, account=accounts.whole_school)
    services.post_submit(actor=staff.slt, post=post)
    with pytest.raises(PermissionDenied, match="own post"):
        services.post_approve(actor=staff.slt, post=post)


def test_a_teacher_cannot_approve(staff, make_post):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=staff.ta, post=post)


def test_approving_for_a_time_schedules_and_a_past_time_is_refused(staff, make_post):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    with pytest.raises(services.TransitionError, match="already passed"):
        services.post_approve(actor=staff.head, post=post, publish_at=timezone.now() - timedelta(minutes=5))
    services.post_approve(actor=staff.head, post=post, publish_at=timezone.now() + timedelta(hours=2))
    assert _status(post) == PostStatus.SCHEDULED


def test_request_changes_returns_the_draft_with_the_comment(staff, make_post):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    services.post_request_changes(actor=staff.head, post=post, comment="Please add alt text that names the activity.")
    assert _status(post) == PostStatus.DRAFT
    assert PostComment.objects.get(post=post).kind == PostComment.Kind.CHANGES_REQUESTED
    services.post_submit(actor=staff.teacher, post=post)
    assert _status(post) == PostStatus.SUBMITTED


def test_rejection_needs_a_reason(staff, make_post):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    with pytest.raises(services.TransitionError, match="reason"):
        services.post_reject(actor=staff.head, post=post, reason="  ")
    services.post_reject(actor=staff.head, post=post, reason="Not in keeping with the policy's positive tone.")
    assert _status(post) == PostStatus.REJECTED


def test_the_second_of_two_approvers_is_told_the_first_decided(staff, make_post):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    stale_copy = Post.objects.get(pk=post.pk)
    services.post_reject(actor=staff.slt, post=post, reason="Duplicate of yesterday's post.")
    with pytest.raises(services.TransitionError, match="now rejected"):
        services.post_approve(actor=staff.head, post=stale_copy)
    assert _status(post) == PostStatus.REJECTED


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_one_wins(staff, make_post):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    outcomes: list[str] = []

    def decide(action):
        try:
            action()
            outcomes.append("won")
        except services.TransitionError:
            outcomes.append("told")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(lambda: services.post_approve(actor=staff.head, post=post),)),
        threading.Thread(target=decide, args=(lambda: services.post_reject(actor=staff.slt, post=post, reason="No."),)),
    ]
    if connection.vendor == "sqlite":
        # SQLite serialises writers; run them one after the other to keep the same contract.
        for thread in threads:
            thread.start()
            thread.join()
    else:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(outcomes) == ["told", "won"]


def test_author_withdraws_before_it_goes_out(staff, make_post):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    with pytest.raises(PermissionDenied):
        services.post_withdraw(actor=staff.ta, post=post)
    services.post_withdraw(actor=staff.teacher, post=post)
    assert _status(post) == PostStatus.WITHDRAWN


def test_consent_withdrawn_after_approval_stops_the_post_with_a_note(staff, make_post, pupils):
    post = make_post(tagged=[pupils.amara])
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    record = ConsentRecord.objects.get(pupil=pupils.amara, purpose=ConsentPurpose.SOCIAL_PHOTO)

    consent_withdraw(actor=staff.office, record=record)

    assert _status(post) == PostStatus.DRAFT
    note = PostComment.objects.get(post=post, kind=PostComment.Kind.SYSTEM)
    assert "Amara" in note.body and "withdrawn" in note.body
