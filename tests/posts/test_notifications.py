import pytest
from django.core import mail

from accounts.models import ApprovalEmails, Membership
from posts import notifications, services
from posts.models import Post, PostStatus
from posts.tasks import send_approval_digests


def test_approvers_are_emailed_when_a_post_waits_for_them(staff, make_post, django_capture_on_commit_callbacks):
    post = make_post("Our Year 3 volcanoes erupted beautifully.")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(actor=staff.teacher, post=post)
    message = mail.outbox[-1]
    assert sorted(message.to) == sorted([staff.head.user.email, staff.slt.user.email])
    assert "waiting for approval" in message.subject and "volcanoes erupted" in message.body
    assert f"/posts/review/{post.pk}/" in message.body


def test_the_author_hears_each_decision_with_the_approvers_words(staff, make_post, django_capture_on_commit_callbacks):
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_request_changes(actor=staff.head, post=post, comment="Please add a description to photo 1.")
    assert mail.outbox[-1].to == [staff.teacher.user.email]
    assert "needs changes" in mail.outbox[-1].subject and "description to photo 1" in mail.outbox[-1].body

    services.post_submit(actor=staff.teacher, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(actor=staff.head, post=post)
    # Approved now, so the local network publishes it at once: "approved", then "published".
    assert [m.subject for m in mail.outbox if m.to == [staff.teacher.user.email]][-2:] == [
        "Your post for Alpha Year3 was approved",
        "Your post for Alpha Year3 is published",
    ]


def test_nobody_is_emailed_about_a_refused_submit(staff, make_post, pupils, django_capture_on_commit_callbacks):
    post = make_post(tagged=[pupils.ben])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.PostBlocked):
        services.post_submit(actor=staff.teacher, post=post)
    assert mail.outbox == []


# Approvers' email preference: each post at once (the default), a morning digest, or nothing.


def _set_preference(membership, choice):
    Membership.objects.filter(pk=membership.pk).update(approval_emails=choice)


def test_approvers_who_chose_the_digest_or_nothing_are_not_emailed_at_once(
    staff, make_post, django_capture_on_commit_callbacks
):
    _set_preference(staff.slt, ApprovalEmails.DIGEST)
    post = make_post()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(actor=staff.teacher, post=post)
    assert mail.outbox[-1].to == [staff.head.user.email]

    _set_preference(staff.head, ApprovalEmails.OFF)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(actor=staff.teacher, post=make_post("Another one"))
    assert mail.outbox == []


def test_the_morning_digest_lists_what_waits_for_each_digest_approver(staff, make_post, accounts):
    _set_preference(staff.slt, ApprovalEmails.DIGEST)
    for text in ("Volcanoes in science", "Poems about autumn"):
        services.post_submit(actor=staff.teacher, post=make_post(text))
    # The senior leader's own post is not theirs to approve, so it is not in their digest.
    own = make_post("Governors' news", author=staff.slt, account=accounts.whole_school)
    services.post_submit(actor=staff.slt, post=own)
    mail.outbox.clear()

    assert send_approval_digests.delay().get() == 1

    [digest] = mail.outbox
    assert digest.to == [staff.slt.user.email] and digest.subject == "2 posts waiting for your approval"
    assert "Volcanoes in science" in digest.body and "Poems about autumn" in digest.body
    assert "Governors' news" not in digest.body
    assert "/posts/review/" in digest.body and "Alpha Primary" in digest.body


def test_no_digest_is_sent_when_nothing_waits(staff, make_post):
    _set_preference(staff.slt, ApprovalEmails.DIGEST)
    post = make_post()
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    mail.outbox.clear()
    assert send_approval_digests.delay().get() == 0
    assert mail.outbox == []


def test_approvers_who_want_each_post_at_once_get_no_digest(staff, make_post):
    services.post_submit(actor=staff.teacher, post=make_post())
    mail.outbox.clear()
    assert send_approval_digests.delay().get() == 0 and mail.outbox == []


def test_the_digest_goes_out_each_morning_at_half_past_seven_school_time(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-approval-digests"]
    assert entry["task"] == "posts.tasks.send_approval_digests"
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {30}
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


# Published and failed: called by the publisher (posts.services.publishing) once the post's fate is known.


def _as(post, **fields):
    Post.objects.filter(pk=post.pk).update(**fields)
    return Post.objects.select_related("account", "author").get(pk=post.pk)


def test_the_author_hears_their_post_is_live_with_its_link(staff, make_post, django_capture_on_commit_callbacks):
    post = make_post("Sports day winners!")
    post = _as(
        post,
        status=PostStatus.PUBLISHED,
        external_id="42",
        external_url="https://x.com/alpha_year3/status/42",
        decided_by=staff.head.user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_published(post)
    [message] = mail.outbox
    assert message.to == [staff.teacher.user.email] and "is published" in message.subject
    assert "https://x.com/alpha_year3/status/42" in message.body and "Sports day winners!" in message.body


def test_a_trip_post_going_live_is_also_told_to_the_headteachers(
    staff, make_post, accounts, django_capture_on_commit_callbacks
):
    post = make_post("Canoeing!", account=accounts.year3)
    post = _as(
        post,
        status=PostStatus.PUBLISHED,
        external_id="7",
        external_url="https://local/7",
        decided_by=staff.teacher.user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_published(post)
    assert {tuple(m.to) for m in mail.outbox} == {(staff.teacher.user.email,), (staff.head.user.email,)}
    heads = next(m for m in mail.outbox if m.to == [staff.head.user.email])
    assert "during the trip" in heads.body and "https://local/7" in heads.body


def test_nothing_is_sent_if_the_publish_is_rolled_back(staff, make_post, django_capture_on_commit_callbacks):
    post = _as(make_post(), status=PostStatus.FAILED, failure_reason="The account was disconnected.")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.notify_failed(post)
    assert len(callbacks) == 1 and mail.outbox == [], "sent only after the transaction commits"


def test_a_failure_tells_the_author_and_the_headteachers_why_and_what_to_do(
    staff, make_post, django_capture_on_commit_callbacks
):
    post = _as(
        make_post("Harvest festival"),
        status=PostStatus.FAILED,
        failure_reason="X says the account's sign-in has expired: reconnect the account.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_failed(post)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {staff.teacher.user.email, staff.head.user.email}
    for message in mail.outbox:
        assert "could not be published" in message.subject
        assert "reconnect the account" in message.body and "Harvest festival" in message.body
        assert "try again" in message.body
    assert f"/posts/{post.pk}/edit/" in by_recipient[staff.teacher.user.email].body
    assert f"/posts/review/{post.pk}/" in by_recipient[staff.head.user.email].body
