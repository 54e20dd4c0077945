"""Where media files live, and the few things that depend on it (issue 16).

Settings name two storages (policy_portal/settings.py): "default" for what the portal shows
(photo renditions and thumbnails, the local network's images) and "private" for what it never
shows (photos' originals, MIS import files). Each is the local disk or an S3-compatible bucket.
Code reads and writes files only through the storage API (open, save, delete, listdir), never
through a file system path, so the same code runs on one machine or several.

This module sits beside the settings, outside the apps' layers, so that every app can use it.
"""

from collections.abc import Iterator, Mapping

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

MEDIA_ALIASES = ("default", "private")

# What a teacher or the office is told when the object store fails during an upload.
PHOTO_STORE_DOWN = "The photo store is not answering; your photo was not saved. Try again in a minute."
FILE_STORE_DOWN = "The file store is not answering; your file was not saved. Try again in a minute."


class _PrivateStorage(LazyObject):
    """storages["private"], looked up when first used and again after the settings change (tests
    override STORAGES), as Django's default_storage does for "default"."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _forget_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty
        _signers.clear()


def private_storage() -> Storage:
    """The storage for files nobody is ever sent a link to. FileField(storage=private_storage):
    a callable, so migrations name this function, never a backend."""
    return _private


def _resolved(storage: Storage) -> Storage:
    if isinstance(storage, LazyObject):
        if storage._wrapped is empty:
            storage._setup()
        return storage._wrapped
    return storage


def _is_s3(storage: Storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # django-storages missing: only the local disk is possible
        return False
    return isinstance(_resolved(storage), S3Storage)


def is_store_failure(exc: BaseException) -> bool:
    """Whether `exc` means the object store did not answer or refused the request, rather than a
    missing file or a fault of the portal's own."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return False
    return isinstance(exc, BotoCoreError | ClientError)


# Signed links


_signers: dict[str, Storage] = {}


def _alias_of(storage: Storage) -> str | None:
    storage = _resolved(storage)
    return next((alias for alias in MEDIA_ALIASES if storages[alias] is storage), None)


def _signer(storage: Storage) -> Storage:
    """The storage itself, or a copy of it that signs for AWS_S3_PUBLIC_ENDPOINT_URL (signing
    needs no request, so that address need not be reachable from here)."""
    public = settings.AWS_S3_PUBLIC_ENDPOINT_URL
    alias = _alias_of(storage)
    if not public or alias is None:
        return _resolved(storage)
    if alias not in _signers:
        from storages.backends.s3 import S3Storage

        options = {**settings.STORAGES[alias].get("OPTIONS", {}), "endpoint_url": public}
        _signers[alias] = S3Storage(**options)
    return _signers[alias]


def signed_link(file: FieldFile, *, content_type: str) -> str | None:
    """A link to `file` that works for MEDIA_SIGNED_LINK_SECONDS, or None when there is none to
    give (the local disk, or links turned off): then the caller streams the file itself.

    Only call this after checking that the person may see the file. The link tells the browser
    not to keep the file, and to show it rather than download it."""
    seconds = settings.MEDIA_SIGNED_LINK_SECONDS
    if seconds <= 0 or not _is_s3(file.storage):
        return None
    parameters = {
        "ResponseContentType": content_type,
        "ResponseCacheControl": "private, no-store",
        "ResponseContentDisposition": "inline",
    }
    return _signer(file.storage).url(file.name, parameters=parameters, expire=seconds)


# Every stored file, for backups


def _place(storage: Storage) -> tuple:
    """Where a storage keeps its files; two aliases with one place hold the same files."""
    storage = _resolved(storage)
    if _is_s3(storage):
        return ("s3", storage.endpoint_url, storage.bucket_name, storage.location)
    return (type(storage).__name__, str(getattr(storage, "location", id(storage))))


def media_storages() -> dict[str, Storage]:
    """The media storages by alias, each place once (on the local disk "default" and "private"
    share MEDIA_ROOT, so only "default" is listed)."""
    found: dict[str, Storage] = {}
    places = set()
    for alias in MEDIA_ALIASES:
        place = _place(storages[alias])
        if place not in places:
            places.add(place)
            found[alias] = storages[alias]
    return found


def walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in `storage` under `folder`, through the storage API."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # the local disk before anything was stored
        return
    prefix = f"{folder}/" if folder else ""
    for name in sorted(files):
        yield prefix + name
    for name in sorted(folders):
        yield from walk(storage, prefix + name)


def stored_files() -> Iterator[tuple[str, str]]:
    """(alias, name) for every stored media file, wherever the storages are."""
    for alias, storage in media_storages().items():
        for name in walk(storage):
            yield alias, name


def copy_stored_files(*, source: Mapping[str, Storage], target: Mapping[str, Storage]) -> int:
    """Copy every file of each source storage to the target storage of the same alias, under the
    same name (overwriting), and return how many were copied. A backup copies from
    media_storages() to, say, FileSystemStorage folders; a restore copies back."""
    copied = 0
    for alias, storage in source.items():
        destination = target[alias]
        for name in walk(storage):
            if destination.exists(name):
                destination.delete(name)
            with storage.open(name, "rb") as stream:
                saved = destination.save(name, stream)
            if saved != name:
                raise RuntimeError(f"{alias}: {name} was stored as {saved}")
            copied += 1
    return copied
