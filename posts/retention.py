"""Originals of photos are kept only as long as they may still be needed.

The original upload (full resolution, before faces were covered) is private and never
published. Once a post is settled (published, rejected, withdrawn or taken down) its
originals are deleted after ORIGINAL_PHOTO_RETENTION_DAYS; the rendition and thumbnail stay,
so the record of what was published remains. 0 deletes them at the next daily run.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from audit.services import record

from .models import PostImage, PostStatus

SETTLED_STATUSES = (PostStatus.PUBLISHED, PostStatus.REJECTED, PostStatus.WITHDRAWN, PostStatus.TAKEN_DOWN)


def delete_expired_originals(now=None) -> int:
    """Delete the originals of settled posts older than the retention period; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ORIGINAL_PHOTO_RETENTION_DAYS)
    images = (
        PostImage.objects.filter(post__status__in=SETTLED_STATUSES, post__updated_at__lte=cutoff)
        .exclude(original="")
        .select_related("post__account__school")
    )
    deleted = 0
    for image in images.iterator(chunk_size=200):
        image.original.delete(save=False)
        PostImage.objects.filter(pk=image.pk).update(original="")
        record(
            action="post.original_photo_deleted",
            school=image.post.account.school,
            target=image.post,
            data={"photo": image.pk, "retention_days": settings.ORIGINAL_PHOTO_RETENTION_DAYS},
        )
        deleted += 1
    return deleted
