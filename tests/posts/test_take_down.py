"""Consent withdrawn after a post went out: the headteacher is told and takes it down."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import ConsentPurpose, ConsentRecord
from consent.services import consent_withdraw, pupil_set_never_publish
from networks.base import NetworkError, PostPayload
from networks.local.adapter import LocalNetwork
from networks.local.models import LocalNetworkPost
from posts import services
from posts.models import Post, PostStatus, TakeDownRequest


@pytest.fixture
def published(make_post, pupils, accounts):
    """A Year 3 post showing Amara, published on the local network."""
    post = make_post(tagged=[pupils.amara])
    ref = LocalNetwork(accounts.year3).publish(PostPayload(text=post.text, media=[]))
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHED, external_id=ref.id, external_url=ref.url, published_at=timezone.now()
    )
    post.refresh_from_db()
    return post


def _withdraw_amaras_photo_consent(staff, pupils, capture):
    record = ConsentRecord.objects.get(pupil=pupils.amara, purpose=ConsentPurpose.SOCIAL_PHOTO)
    with capture(execute=True):
        consent_withdraw(actor=staff.office, record=record)


def test_withdrawal_lists_the_published_post_and_emails_the_headteacher(
    staff, pupils, published, django_capture_on_commit_callbacks
):
    _withdraw_amaras_photo_consent(staff, pupils, django_capture_on_commit_callbacks)

    request = TakeDownRequest.objects.get(post=published)
    assert "Amara" in request.reason
    assert mail.outbox[-1].to == [staff.head.user.email]
    assert "still public" in mail.outbox[-1].body and reverse("take_down_list") in mail.outbox[-1].body


def test_headteacher_takes_the_post_down_in_one_click(
    client_for, staff, pupils, published, django_capture_on_commit_callbacks
):
    _withdraw_amaras_photo_consent(staff, pupils, django_capture_on_commit_callbacks)
    client = client_for(staff.head)
    page = client.get(reverse("take_down_list")).content.decode()
    assert published.text in page and "Take down now" in page

    client.post(reverse("post_take_down", args=[published.pk]))

    published.refresh_from_db()
    assert published.status == PostStatus.TAKEN_DOWN
    assert LocalNetworkPost.objects.get(pk=int(published.external_id)).deleted_at is not None
    request = TakeDownRequest.objects.get(post=published)
    assert request.outcome == TakeDownRequest.Outcome.TAKEN_DOWN and request.resolved_by == staff.head.user
    assert AuditEvent.objects.filter(action="post.taken_down", actor=staff.head.user).exists()
    assert published.text not in client.get(reverse("local_timeline", args=["alpha_year3"])).content.decode()


def test_a_second_withdrawal_does_not_open_a_second_request(
    staff, pupils, published, django_capture_on_commit_callbacks
):
    _withdraw_amaras_photo_consent(staff, pupils, django_capture_on_commit_callbacks)
    pupil_set_never_publish(actor=staff.head, pupil=pupils.amara, reason="Court order")
    assert TakeDownRequest.objects.filter(post=published).count() == 1


def test_a_post_the_network_already_lost_counts_as_taken_down(staff, published):
    LocalNetwork(published.account).delete(published.external_id)
    services.post_take_down(actor=staff.head, post=published)
    assert Post.objects.get(pk=published.pk).status == PostStatus.TAKEN_DOWN


def test_when_the_network_refuses_the_request_stays_open_with_the_reason(
    monkeypatch, client_for, staff, pupils, published, django_capture_on_commit_callbacks
):
    _withdraw_amaras_photo_consent(staff, pupils, django_capture_on_commit_callbacks)

    def refuse(self, ref_id):
        raise NetworkError("The network is not answering; try again in a few minutes.")

    monkeypatch.setattr(LocalNetwork, "delete", refuse)
    response = client_for(staff.head).post(reverse("post_take_down", args=[published.pk]), follow=True)

    assert "not answering" in response.content.decode()
    assert Post.objects.get(pk=published.pk).status == PostStatus.PUBLISHED
    request = TakeDownRequest.objects.get(post=published)
    assert request.resolved_at is None and "not answering" in request.outcome_message
    assert AuditEvent.objects.filter(action="post.take_down_failed").exists()


def test_a_teacher_cannot_take_a_post_down(client_for, staff, published):
    assert client_for(staff.teacher).post(reverse("post_take_down", args=[published.pk])).status_code == 403
    assert Post.objects.get(pk=published.pk).status == PostStatus.PUBLISHED


def test_a_post_that_does_not_show_the_pupil_is_left_alone(
    staff, pupils, make_post, accounts, django_capture_on_commit_callbacks
):
    other = make_post(text="Sports day is on Friday!")
    Post.objects.filter(pk=other.pk).update(status=PostStatus.PUBLISHED, external_id="999")
    _withdraw_amaras_photo_consent(staff, pupils, django_capture_on_commit_callbacks)
    assert not TakeDownRequest.objects.filter(post=other).exists()


def test_the_headteachers_dashboard_shows_what_waits_to_be_taken_down(
    client_for, staff, pupils, published, django_capture_on_commit_callbacks
):
    _withdraw_amaras_photo_consent(staff, pupils, django_capture_on_commit_callbacks)
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert "1</span> published post shows a pupil whose consent has changed" in page


def test_consent_that_runs_out_is_treated_like_a_withdrawal(staff, pupils, published, make_post):
    from datetime import timedelta

    from posts.tasks import sweep_expired_consent

    pending = make_post(tagged=[pupils.amara])
    services.post_submit(actor=staff.teacher, post=pending)
    ConsentRecord.objects.filter(pupil=pupils.amara).update(expires_on=timezone.localdate() - timedelta(days=1))

    outcome = sweep_expired_consent()

    assert outcome == {"stopped": 1, "take_down_requested": 1}
    assert Post.objects.get(pk=pending.pk).status == PostStatus.DRAFT
    assert TakeDownRequest.objects.filter(post=published, resolved_at__isnull=True).exists()
    assert sweep_expired_consent() == {"stopped": 0, "take_down_requested": 0}, "running again changes nothing"


def test_a_withdrawal_while_the_post_is_being_published_is_caught_once_it_is_out(
    staff, pupils, make_post, accounts, django_capture_on_commit_callbacks
):
    from posts.consent_changes import recheck_after_publish

    post = make_post(tagged=[pupils.amara])
    Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHING)
    _withdraw_amaras_photo_consent(staff, pupils, django_capture_on_commit_callbacks)
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHING, "a claimed post cannot be stopped"
    assert not TakeDownRequest.objects.filter(post=post).exists()

    ref = LocalNetwork(accounts.year3).publish(PostPayload(text=post.text, media=[]))
    Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHED, external_id=ref.id)
    with django_capture_on_commit_callbacks(execute=True):
        assert recheck_after_publish(post) is True

    assert "while the post was being published" in TakeDownRequest.objects.get(post=post).reason
    assert mail.outbox[-1].to == [staff.head.user.email]
