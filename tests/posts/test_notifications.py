import pytest
from django.core import mail

from posts import services


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
    assert mail.outbox[-1].to == [staff.teacher.user.email] and "was approved" in mail.outbox[-1].subject


def test_nobody_is_emailed_about_a_refused_submit(staff, make_post, pupils, django_capture_on_commit_callbacks):
    post = make_post(tagged=[pupils.ben])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.PostBlocked):
        services.post_submit(actor=staff.teacher, post=post)
    assert mail.outbox == []
