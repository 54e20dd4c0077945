"""Publishing to Bluesky through a real Celery worker, the real `atproto` SDK and real HTTP to the
stub Bluesky server (every request checked against the AT Protocol lexicons), with faults
injected. Each case must end published exactly once, or failed with a reason a headteacher can act
on: never posted twice, never left in "publishing"."""

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

CAPTION = "Year 3 made a brilliant rainforest display for the hall this week! 🌿🐸 #Year3"
CREATE = "com.atproto.repo.createRecord"


@pytest.fixture
def worker_env(bluesky_stub):
    return {
        **bluesky_stub.env(),
        "PUBLISH_RETRY_BASE_SECONDS": "0.2",
        "BLUESKY_TIMEOUT_SECONDS": "1.5",
        "PUBLISH_STUCK_AFTER_SECONDS": "2",
    }


@pytest.fixture
def on_bluesky(bluesky_stub, accounts):
    """The Year 3 account, connected to its Bluesky account on the stub."""
    user = bluesky_stub.add_user("alpha-year3.bsky.social")
    account = accounts.year3
    account.network = "bluesky"
    account.handle = user.handle
    account.credentials = bluesky_stub.credentials(user)
    account.network_settings = {"did": user.did, "handle": user.handle, "pds": bluesky_stub.base_url}
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


def _rkey(record) -> str:
    return record["uri"].rsplit("/", 1)[1]


def test_an_approved_post_goes_out_with_its_photos_descriptions_and_hashtag(
    celery_worker, bluesky_stub, on_bluesky, staff, accounts
):
    post = _approved_post(
        staff,
        accounts,
        photos=[((30, 120, 60), "A wall of paper leaves and frogs"), ((200, 80, 20), "Two toucans made of card")],
    )
    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED

    post.refresh_from_db()
    [record] = bluesky_stub.posts_by(on_bluesky)
    assert record["text"] == CAPTION
    assert post.external_id == f"{on_bluesky.did}/{_rkey(record)}"
    assert post.external_url == f"https://bsky.app/profile/{on_bluesky.did}/post/{_rkey(record)}"
    assert [image["alt"] for image in record["embed"]["images"]] == [
        "A wall of paper leaves and frogs",
        "Two toucans made of card",
    ]
    [tag] = record["facets"]
    assert CAPTION.encode()[tag["index"]["byteStart"] : tag["index"]["byteEnd"]] == b"#Year3"


def test_a_rate_limit_waits_for_the_reset_then_posts_once(celery_worker, bluesky_stub, on_bluesky, staff, accounts):
    reset_at = bluesky_stub.rate_limit_next(CREATE, reset_in=2)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(bluesky_stub.posts_by(on_bluesky)) == 1
    post.refresh_from_db()
    assert post.published_at.timestamp() >= reset_at - 1
    retry = AuditEvent.objects.get(action="post.publish_retry", target_id=str(post.pk))
    assert "limiting how often" in retry.data["error"]


def test_a_server_error_is_retried_and_posts_once(celery_worker, bluesky_stub, on_bluesky, staff, accounts):
    bluesky_stub.fail_next(CREATE, status=503)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(bluesky_stub.posts_by(on_bluesky)) == 1


def test_a_server_error_after_the_post_was_made_is_reconciled_not_repeated(
    celery_worker, bluesky_stub, on_bluesky, staff, accounts
):
    # Bluesky would take the same text again (it refuses no duplicates): only reconciliation stops a
    # second copy.
    bluesky_stub.fail_next(CREATE, status=502, apply=True)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [record] = bluesky_stub.posts_by(on_bluesky)
    assert Post.objects.get(pk=post.pk).external_id.endswith(_rkey(record))
    assert len(bluesky_stub.requests_to(CREATE)) == 1


def test_a_timeout_after_sending_is_reconciled_not_repeated(celery_worker, bluesky_stub, on_bluesky, staff, accounts):
    bluesky_stub.delay_next(CREATE, seconds=4, apply=True)  # the worker gives up after 1.5 s
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [record] = bluesky_stub.posts_by(on_bluesky)
    assert Post.objects.get(pk=post.pk).external_id.endswith(_rkey(record))
    assert AuditEvent.objects.get(action="post.published", target_id=str(post.pk)).data["reconciled"] is True


def test_an_older_post_with_the_same_words_is_not_taken_for_ours(
    celery_worker, bluesky_stub, on_bluesky, staff, accounts
):
    bluesky_stub.add_post(on_bluesky, CAPTION, created_at="2026-09-01T09:00:00.000Z")  # posted in September
    bluesky_stub.fail_next(CREATE, status=503)  # a retry, so the publisher looks at the account first
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(bluesky_stub.posts_by(on_bluesky)) == 2  # September's and today's


def test_an_expired_token_is_renewed_once_and_the_post_goes_out(
    celery_worker, bluesky_stub, on_bluesky, staff, accounts
):
    old_token = accounts.year3.credentials["access_jwt"]
    bluesky_stub.expire_token(old_token)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    assert len(bluesky_stub.posts_by(on_bluesky)) == 1
    assert SocialAccount.objects.get(pk=accounts.year3.pk).credentials["access_jwt"] != old_token


def test_a_revoked_app_password_fails_the_post_and_flags_the_account(
    celery_worker, bluesky_stub, on_bluesky, staff, accounts
):
    bluesky_stub.revoke(on_bluesky)
    post = _approved_post(staff, accounts)

    assert wait_for(lambda: _settled(post)) == PostStatus.FAILED
    post.refresh_from_db()
    assert "app password" in post.failure_reason.lower()
    assert SocialAccount.objects.get(pk=accounts.year3.pk).status == SocialAccount.Status.ERROR
    assert bluesky_stub.posts_by(on_bluesky) == []


def test_a_worker_killed_mid_publish_leaves_nothing_stuck_or_doubled(
    celery_worker, bluesky_stub, on_bluesky, staff, accounts
):
    hold = bluesky_stub.hold_next(CREATE)  # Bluesky makes the post, then the answer waits
    post = _approved_post(staff, accounts)
    assert hold.reached.wait(60), "the worker never called Bluesky"

    celery_worker.kill()
    hold.release()
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHING
    assert len(bluesky_stub.posts_by(on_bluesky)) == 1

    celery_worker.start()  # the operator restarts the worker; beat's sweep comes round
    wait_for(lambda: (timezone.now() - Post.objects.get(pk=post.pk).publishing_started_at).total_seconds() > 2)
    sweep_publishing.apply_async(queue=celery_worker.queue)

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED
    [record] = bluesky_stub.posts_by(on_bluesky)
    assert Post.objects.get(pk=post.pk).external_id.endswith(_rkey(record))
    assert len(bluesky_stub.requests_to(CREATE)) == 1
