"""Photos' files in the storages, deleted so that none is left behind without a row.

An upload writes its files first and its row last. When a later step fails, the files already
written are deleted at once; when the object store itself has stopped answering, that delete
fails too, so each such file is written down as an OrphanFile and `orphan_files_delete` (a
periodic task) deletes it once the store answers again.
"""

import logging

from django.core.files.storage import storages
from django.db.models import Q

from policy_portal.storage import is_store_failure

from ..models import OrphanFile, PostImage

logger = logging.getLogger(__name__)

# Which storage alias each of a photo's files lives in (see PostImage and policy_portal/storage.py).
PHOTO_FILE_STORAGES = {"original": "private", "rendition": "default", "thumbnail": "default"}


def photo_files(image: PostImage) -> list[tuple[str, str]]:
    """(storage alias, name) for each file the photo has."""
    return [
        (alias, getattr(image, field).name) for field, alias in PHOTO_FILE_STORAGES.items() if getattr(image, field)
    ]


def files_not_shared(files: list[tuple[str, str]], *, image_pk: int) -> list[tuple[str, str]]:
    """Those of `files` (one photo's) that no other photo row uses. A post approved for several
    accounts gives each account's copy the same stored files (posts.services.copies), so
    removing one row must not delete what another still shows or publishes."""
    if not files:
        return []
    names = [name for _, name in files]
    used = PostImage.objects.exclude(pk=image_pk).filter(
        Q(original__in=names) | Q(rendition__in=names) | Q(thumbnail__in=names)
    )
    shared = {name for row in used.values_list("original", "rendition", "thumbnail") for name in row}
    return [(alias, name) for alias, name in files if name not in shared]


def files_discard(files: list[tuple[str, str]]) -> None:
    """Delete these files now, or, where the store does not answer, leave them for the tidy task."""
    for alias, name in files:
        try:
            storages[alias].delete(name)
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            logger.warning("The object store did not delete %s (%s); it will be tried again.", name, exc)
            OrphanFile.objects.get_or_create(storage=alias, name=name)


def orphan_files_delete() -> dict[str, int]:
    """Delete the files left behind by failed uploads; those the store still refuses stay listed."""
    deleted = waiting = 0
    for orphan in OrphanFile.objects.order_by("pk").iterator():
        try:
            storages[orphan.storage].delete(orphan.name)
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            waiting += 1
            continue
        orphan.delete()
        deleted += 1
    return {"deleted": deleted, "waiting": waiting}
