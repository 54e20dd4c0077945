"""Originals of photos are deleted once their post is settled and the retention time has passed."""

import io
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from posts import services
from posts.models import Post, PostImage, PostStatus
from posts.retention import delete_expired_originals


def _photo_post(staff, accounts, text):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 160, 60)).save(out, "JPEG")
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text=text)
    image = services.post_add_image(actor=staff.teacher, post=post, data=out.getvalue(), alt_text="A sunflower")
    return post, image


def test_originals_go_after_the_retention_period_and_the_rendition_stays(settings, staff, accounts):
    settings.ORIGINAL_PHOTO_RETENTION_DAYS = 30
    old, old_image = _photo_post(staff, accounts, "Published in September")
    recent, recent_image = _photo_post(staff, accounts, "Published yesterday")
    waiting, waiting_image = _photo_post(staff, accounts, "Still a draft, from long ago")
    long_ago = timezone.now() - timedelta(days=31)
    Post.objects.filter(pk=old.pk).update(status=PostStatus.PUBLISHED, external_id="1", updated_at=long_ago)
    Post.objects.filter(pk=recent.pk).update(
        status=PostStatus.PUBLISHED, external_id="2", updated_at=timezone.now() - timedelta(days=1)
    )
    Post.objects.filter(pk=waiting.pk).update(updated_at=long_ago)
    original_name = old_image.original.name
    assert default_storage.exists(original_name)

    assert delete_expired_originals() == 1

    old_image = PostImage.objects.get(pk=old_image.pk)
    assert not old_image.original and not default_storage.exists(original_name)
    assert old_image.rendition and default_storage.exists(old_image.rendition.name)
    assert PostImage.objects.get(pk=recent_image.pk).original
    assert PostImage.objects.get(pk=waiting_image.pk).original  # a draft may still be edited
    assert AuditEvent.objects.filter(action="post.original_photo_deleted", target_id=str(old.pk)).count() == 1
    assert delete_expired_originals() == 0  # nothing left to do the next day


def test_a_rejected_posts_originals_go_too(settings, staff, accounts):
    settings.ORIGINAL_PHOTO_RETENTION_DAYS = 0
    post, image = _photo_post(staff, accounts, "Not suitable")
    Post.objects.filter(pk=post.pk).update(status=PostStatus.REJECTED)
    assert delete_expired_originals() == 1
    assert not PostImage.objects.get(pk=image.pk).original
