"""Originals of photos are kept only as long as they may still be needed.

The original upload (full resolution, before faces were covered) is private and never
published. Once a post is settled (published, rejected, withdrawn or taken down) its
originals are deleted after ORIGINAL_PHOTO_RETENTION_DAYS; the rendition and thumbnail stay,
so the record of what was published remains. 0 deletes them at the next daily run.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from audit.services import record

from .models import PostImage, PostStatus

SETTLED_STATUSES = (PostStatus.PUBLISHED, PostStatus.REJECTED, PostStatus.WITHDRAWN, PostStatus.TAKEN_DOWN)


def delete_expired_originals(now=None) -> int:
    """Delete the originals of settled posts older than the retention period; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ORIGINAL_PHOTO_RETENTION_DAYS)
    expired = Q(post__status__in=SETTLED_STATUSES, post__updated_at__lte=cutoff)
    images = PostImage.objects.filter(expired).exclude(original="").select_related("post__account__school")
    deleted = 0
    for image in images.iterator(chunk_size=200):
        # A post approved for several accounts shares its photos' files with its copies
        # (posts.services.copies), which publish on their own: while another row that is not
        # due for deletion (a copy still to publish, one that failed, one settled more recently)
        # uses this original, only this row lets go of it, and the file stays for that row.
        still_used = PostImage.objects.filter(original=image.original.name).exclude(pk=image.pk).exclude(expired)
        kept = still_used.exists()
        if not kept:
            image.original.delete(save=False)
        PostImage.objects.filter(pk=image.pk).update(original="")
        record(
            action="post.original_photo_deleted",
            school=image.post.account.school,
            target=image.post,
            data={
                "photo": image.pk,
                "retention_days": settings.ORIGINAL_PHOTO_RETENTION_DAYS,
                **({"file_kept_for_other_accounts": True} if kept else {}),
            },
        )
        deleted += 1
    return deleted


def clean_stored_originals(*, dry_run: bool = False) -> dict[str, int]:
    """Clean the originals stored before they were cleaned on arrival (see posts.metadata).

    Each original is read through its storage, cleaned, and written back under a new random name
    (the old file is deleted only once the row points at the new one); an original that is
    already clean is left as it is, so running this again changes nothing. Returns how many were
    cleaned, how many were already clean, and how many could not be read.
    """
    from .images import sniff_format  # the image pipeline loads OpenCV: only when this runs
    from .metadata import ORIGINAL_EXTENSIONS, clean_original

    counts = {"cleaned": 0, "already_clean": 0, "unreadable": 0}
    images = PostImage.objects.exclude(original="").select_related("post__account__school").order_by("pk")
    for image in images.iterator(chunk_size=200):
        try:
            with image.original.open("rb") as stored:
                data = stored.read()
            source_format = sniff_format(data)
            cleaned = clean_original(data, source_format)
        except (OSError, ValueError, SyntaxError):
            counts["unreadable"] += 1
            continue
        if cleaned.data == data:
            counts["already_clean"] += 1
            continue
        counts["cleaned"] += 1
        if dry_run:
            continue
        old_name = image.original.name
        image.original.save(
            f"{uuid.uuid4().hex}{ORIGINAL_EXTENSIONS[cleaned.format]}", ContentFile(cleaned.data), save=False
        )
        PostImage.objects.filter(pk=image.pk).update(original=image.original.name)
        image.original.storage.delete(old_name)
        record(
            action="post.original_photo_cleaned",
            school=image.post.account.school,
            target=image.post,
            data={"photo": image.pk, "format": cleaned.format, "lossless": cleaned.lossless},
        )
    return counts
