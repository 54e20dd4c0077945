"""Feedback where the eye is (templates/components/messages.html, form_fields.html and
error_summary.html): what the last action did, errors said at once and the rest in turn, and a
refused form's reasons tied to their fields and listed at the top of the page."""

from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.urls import reverse
from django.utils import timezone

from portal.templatetags.feedback import by_urgency
from posts.models import Post, PostStatus
from posts.services import post_create


def test_messages_are_split_into_alerts_and_statuses():
    sent = [
        Message(constants.SUCCESS, "Saved."),
        Message(constants.ERROR, "Not saved."),
        Message(constants.WARNING, "Check it."),
    ]

    split = by_urgency(sent)

    assert [str(m) for m in split.alerts] == ["Not saved."]
    assert [str(m) for m in split.statuses] == ["Saved.", "Check it."]


def test_an_error_message_is_an_alert_and_a_success_a_status(client_for, staff, accounts):
    client = client_for(staff.head)
    draft = post_create(actor=staff.teacher, account=accounts.year3, text="Not published")

    refused = client.post(reverse("post_take_down", args=[draft.pk]), follow=True).content.decode()
    assert '<div role="alert"><p class="message error">' in refused
    assert 'role="status"' not in refused

    submitted = post_create(actor=staff.teacher, account=accounts.year3, text="Sports day")
    Post.objects.filter(pk=submitted.pk).update(status=PostStatus.SUBMITTED, submitted_at=timezone.now())
    done = client.post(
        reverse("review_request_changes", args=[submitted.pk]), {"comment": "Say which class"}, follow=True
    ).content.decode()
    assert '<div role="status"><p class="message success">Sent back to' in done
    assert 'role="alert"' not in done


def test_a_refused_field_points_at_its_reason(client_for, staff, accounts):
    post = post_create(actor=staff.teacher, account=accounts.year3, text="Sports day")
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED, submitted_at=timezone.now())

    response = client_for(staff.head).post(reverse("review_request_changes", args=[post.pk]), {"comment": " "})
    page = response.content.decode()

    assert response.status_code == 400
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_comment_error"' in page
    assert '<div class="error" id="id_comment_error" data-refused><p>Say what needs changing' in page
    # The summary at the top of the page links to it.
    assert '<a href="#id_comment_error">What needs changing: Say what needs changing' in page
