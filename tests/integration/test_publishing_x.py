"""Publishing to X through a real Celery worker, real tweepy and real HTTP to the stub X server,
with faults injected. Each case must end published exactly once, or failed with a reason a
headteacher can act on: never posted twice, never left in "publishing"."""

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
def worker_env(x_stub):
    return {
        **x_stub.env(),
        "PUBLISH_RETRY_BASE_SECONDS": "0.2",
        "X_TIMEOUT_SECONDS": "1.5",
        "PUBLISH_STUCK_AFTER_SECONDS": "2",
    }


@pytest.fixture
def on_x(x_stub, accounts):
    """The Year 3 account, connected to its X account on the stub."""
    user = x_stub.add_user("alpha_year3")
    account = accounts.year3
    account.network = "x"
    account.credentials = x_stub.oauth2_credentials(user)
    account.save()
    return user


def _jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    return out.getvalue()


def _approved_post(staff, accounts, text=CAPTION, photos=()):
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text=text)
    for colour, alt_text in photos:
        services.post_add_image(actor=staff.teacher, post=post, data=_jpeg(colour), alt_text=alt_text)
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)  # commits, then enqueues to the worker
    return post


def _settled(post):
    status = Post.objects.get(pk=post.pk).status
    return status if status in (PostStatus.PUBLISHED, PostStatus.FAILED) else None


def test_an_approved_post_goes_out_with_its_photos_and_their_descriptions(celery_worker, x_stub, on_x, staff, accounts):
    post = _approved_post(
        staff,
        accounts,
        photos=[((30, 120, 60), "A wall of paper leaves and frogs"), ((200, 80, 20), "Two toucans made of card")],
    )
    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED

    post.refresh_from_db()
    [tweet] = x_stub.posts_by(on_x)
    assert tweet["text"] == CAPTION
    assert post.external_id == tweet["id"]
    assert post.external_url == f"https://x.com/alpha_year3/status/{tweet['id']}"
    assert len(tweet["media_ids"]) == 2
    alt_texts = [
        request.json()["metadata"]["alt_text"]["text"] for request in x_stub.requests_to("POST /2/media/metadata")
    ]
    assert alt_texts == ["A wall of paper leaves and frogs", "Two toucans made of card"]


def test_a_rate_limit_waits_for_the_reset_then_posts_once(celery_worker, x_stub, on_x, staff, accounts):
    reset_at = x_stub.rate_limit_next("POST /2/tweets", reset_in=2)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(x_stub.posts_by(on_x)) == 1
    post.refresh_from_db()
    assert post.published_at.timestamp() >= reset_at
    retry = AuditEvent.objects.get(action="post.publish_retry", target_id=str(post.pk))
    assert "limiting how often" in retry.data["error"]


def test_a_server_error_is_retried_and_posts_once(celery_worker, x_stub, on_x, staff, accounts):
    x_stub.fail_next("POST /2/tweets", status=503)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(x_stub.posts_by(on_x)) == 1
    assert len(x_stub.requests_to("POST /2/tweets")) == 2


def test_a_server_error_after_the_post_was_made_is_reconciled_not_repeated(
    celery_worker, x_stub, on_x, staff, accounts
):
    x_stub.fail_next("POST /2/tweets", status=500, apply=True)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [tweet] = x_stub.posts_by(on_x)
    assert Post.objects.get(pk=post.pk).external_id == tweet["id"]
    assert len(x_stub.requests_to("POST /2/tweets")) == 1


def test_a_timeout_after_sending_is_reconciled_not_repeated(celery_worker, x_stub, on_x, staff, accounts):
    x_stub.delay_next("POST /2/tweets", seconds=4, apply=True)  # the worker gives up after 1.5 s
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [tweet] = x_stub.posts_by(on_x)
    assert Post.objects.get(pk=post.pk).external_id == tweet["id"]
    assert AuditEvent.objects.get(action="post.published", target_id=str(post.pk)).data["reconciled"] is True


def test_a_duplicate_refusal_for_our_own_post_counts_as_published(celery_worker, x_stub, on_x, staff, accounts):
    from tests.xstub import DUPLICATE_BODY

    # The post gets through, and X answers as if it were a repeat.
    x_stub.fail_next("POST /2/tweets", status=403, body=DUPLICATE_BODY, apply=True)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(x_stub.posts_by(on_x)) == 1


def test_a_duplicate_of_an_older_post_fails_with_a_plain_reason(celery_worker, x_stub, on_x, staff, accounts):
    x_stub.add_post(on_x, CAPTION)["created_at"] = "2026-09-01T09:00:00.000Z"  # posted in September
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.FAILED
    post.refresh_from_db()
    assert "same" in post.failure_reason.lower() or "duplicate" in post.failure_reason.lower()
    assert len(x_stub.posts_by(on_x)) == 1  # only the old one


def test_an_expired_token_is_refreshed_once_and_the_post_goes_out(celery_worker, x_stub, on_x, staff, accounts):
    old_token = accounts.year3.credentials["access_token"]
    x_stub.expire_token(old_token)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(x_stub.posts_by(on_x)) == 1
    account = SocialAccount.objects.get(pk=accounts.year3.pk)
    assert account.credentials["access_token"] != old_token


def test_a_revoked_connection_fails_the_post_and_flags_the_account(celery_worker, x_stub, on_x, staff, accounts):
    x_stub.expire_token(accounts.year3.credentials["access_token"])
    account = SocialAccount.objects.get(pk=accounts.year3.pk)
    account.credentials = {**account.credentials, "refresh_token": "rt-revoked"}
    account.save()
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.FAILED
    post.refresh_from_db()
    assert "reconnect" in post.failure_reason.lower()
    assert SocialAccount.objects.get(pk=account.pk).status == SocialAccount.Status.ERROR
    assert x_stub.posts_by(on_x) == []


def test_a_worker_killed_mid_publish_leaves_nothing_stuck_or_doubled(celery_worker, x_stub, on_x, staff, accounts):
    hold = x_stub.hold_next("POST /2/tweets")  # X makes the post, then the answer waits
    post = _approved_post(staff, accounts)
    assert hold.reached.wait(60), "the worker never called X"

    celery_worker.kill()
    hold.release()
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHING
    assert len(x_stub.posts_by(on_x)) == 1

    celery_worker.start()  # the operator restarts the worker; beat's sweep comes round
    wait_for(lambda: (timezone.now() - Post.objects.get(pk=post.pk).publishing_started_at).total_seconds() > 2)
    sweep_publishing.apply_async(queue=celery_worker.queue)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [tweet] = x_stub.posts_by(on_x)
    assert Post.objects.get(pk=post.pk).external_id == tweet["id"]
    assert len(x_stub.requests_to("POST /2/tweets")) == 1
