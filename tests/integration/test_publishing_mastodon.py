"""Publishing to Mastodon through a real Celery worker, real Mastodon.py and real HTTP to the stub
Mastodon server, with faults injected. Each case must end published exactly once, or failed with
a reason a headteacher can act on: never posted twice, never left in "publishing".

Mastodon has idempotency keys: after an unknown outcome the publisher sends the post again with
the same Idempotency-Key, and the server answers with the status it already made."""

import io

import pytest
from django.utils import timezone
from PIL import Image

from accounts.models import SocialAccount
from audit.models import AuditEvent
from posts import services
from posts.models import Post, PostStatus
from posts.tasks import sweep_publishing

from .conftest import wait_for

CAPTION = "Year 3 made a brilliant rainforest display for the hall this week!"


@pytest.fixture
def worker_env(mastodon_stub):
    return {
        **mastodon_stub.env(),
        "PUBLISH_RETRY_BASE_SECONDS": "0.2",
        "MASTODON_TIMEOUT_SECONDS": "1.5",
        "PUBLISH_STUCK_AFTER_SECONDS": "2",
    }


@pytest.fixture
def on_mastodon(mastodon_stub, accounts):
    """The Year 3 account, connected to its account on the stub server."""
    server_account = mastodon_stub.add_account("alpha_year3")
    account = accounts.year3
    account.network = "mastodon"
    account.credentials, account.network_settings = mastodon_stub.connect(server_account)
    account.save()
    return server_account


def _jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    return out.getvalue()


def _approved_post(staff, accounts, text=CAPTION, photos=()):
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text=text)
    for colour, alt_text in photos:
        services.post_add_image(actor=staff.teacher, post=post, data=_jpeg(colour), alt_text=alt_text)
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    return post


def _settled(post):
    status = Post.objects.get(pk=post.pk).status
    return status if status in (PostStatus.PUBLISHED, PostStatus.FAILED) else None


def test_an_approved_post_goes_out_with_its_photos_and_their_descriptions(
    celery_worker, mastodon_stub, on_mastodon, staff, accounts
):
    mastodon_stub.media_processing_polls = 2  # each photo is still processing when first uploaded
    post = _approved_post(
        staff,
        accounts,
        photos=[((30, 120, 60), "A wall of paper leaves and frogs"), ((200, 80, 20), "Two toucans made of card")],
    )
    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED

    post.refresh_from_db()
    [status] = mastodon_stub.statuses_by(on_mastodon)
    assert status["text"] == CAPTION
    assert post.external_id == status["id"]
    assert post.external_url == f"{mastodon_stub.base_url}/@alpha_year3/{status['id']}"
    assert [mastodon_stub.media[m]["description"] for m in status["media_ids"]] == [
        "A wall of paper leaves and frogs",
        "Two toucans made of card",
    ]
    [request] = mastodon_stub.requests_to("POST /api/v1/statuses")
    assert request.headers["idempotency-key"] == str(post.idempotency_key)


def test_a_rate_limit_waits_for_the_reset_then_posts_once(celery_worker, mastodon_stub, on_mastodon, staff, accounts):
    reset_at = mastodon_stub.rate_limit_next("POST /api/v1/statuses", reset_in=2)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(mastodon_stub.statuses_by(on_mastodon)) == 1
    post.refresh_from_db()
    assert post.published_at.timestamp() >= reset_at - 1  # the reset is sent to the millisecond
    retry = AuditEvent.objects.get(action="post.publish_retry", target_id=str(post.pk))
    assert "limiting how often" in retry.data["error"]


def test_a_server_error_is_retried_and_posts_once(celery_worker, mastodon_stub, on_mastodon, staff, accounts):
    mastodon_stub.fail_next("POST /api/v1/statuses", status=503)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(mastodon_stub.statuses_by(on_mastodon)) == 1
    assert len(mastodon_stub.requests_to("POST /api/v1/statuses")) == 2


def test_a_server_error_after_the_post_was_made_is_not_repeated(
    celery_worker, mastodon_stub, on_mastodon, staff, accounts
):
    mastodon_stub.fail_next("POST /api/v1/statuses", status=500, apply=True)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [status] = mastodon_stub.statuses_by(on_mastodon)
    assert Post.objects.get(pk=post.pk).external_id == status["id"]
    # Sent twice with the same key; the server made one status.
    keys = {r.headers["idempotency-key"] for r in mastodon_stub.requests_to("POST /api/v1/statuses")}
    assert keys == {str(post.idempotency_key)}


def test_a_timeout_after_sending_is_not_repeated(celery_worker, mastodon_stub, on_mastodon, staff, accounts):
    mastodon_stub.delay_next("POST /api/v1/statuses", seconds=4, apply=True)  # the worker gives up after 1.5 s
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [status] = mastodon_stub.statuses_by(on_mastodon)
    assert Post.objects.get(pk=post.pk).external_id == status["id"]


def test_a_server_that_is_down_is_tried_again_until_it_is_back(
    celery_worker, mastodon_stub, on_mastodon, staff, accounts
):
    mastodon_stub.go_down()
    post = _approved_post(staff, accounts)
    wait_for(lambda: AuditEvent.objects.filter(action="post.publish_retry", target_id=str(post.pk)).exists())
    mastodon_stub.come_back()

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(mastodon_stub.statuses_by(on_mastodon)) == 1
    retry = AuditEvent.objects.filter(action="post.publish_retry", target_id=str(post.pk)).first()
    assert "could not reach" in retry.data["error"]


def test_a_post_too_long_for_the_server_fails_with_a_plain_reason(
    celery_worker, mastodon_stub, on_mastodon, staff, accounts
):
    mastodon_stub.max_characters = 40  # the server lowered its limit after the account was connected
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.FAILED
    post.refresh_from_db()
    assert "character limit of 40" in post.failure_reason
    assert mastodon_stub.statuses_by(on_mastodon) == []


def test_a_revoked_token_fails_the_post_and_flags_the_account(
    celery_worker, mastodon_stub, on_mastodon, staff, accounts
):
    mastodon_stub.revoke_token(accounts.year3.credentials["access_token"])
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.FAILED
    post.refresh_from_db()
    assert "connect it again" in post.failure_reason.lower()
    account = SocialAccount.objects.get(pk=accounts.year3.pk)
    assert account.status == SocialAccount.Status.ERROR
    assert mastodon_stub.statuses_by(on_mastodon) == []


def test_a_worker_killed_mid_publish_leaves_nothing_stuck_or_doubled(
    celery_worker, mastodon_stub, on_mastodon, staff, accounts
):
    hold = mastodon_stub.hold_next("POST /api/v1/statuses")  # the server makes the status, then the answer waits
    post = _approved_post(staff, accounts)
    assert hold.reached.wait(60), "the worker never called the server"

    celery_worker.kill()
    hold.release()
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHING
    assert len(mastodon_stub.statuses_by(on_mastodon)) == 1

    celery_worker.start()
    wait_for(lambda: (timezone.now() - Post.objects.get(pk=post.pk).publishing_started_at).total_seconds() > 2)
    sweep_publishing.apply_async(queue=celery_worker.queue)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [status] = mastodon_stub.statuses_by(on_mastodon)
    assert Post.objects.get(pk=post.pk).external_id == status["id"]
