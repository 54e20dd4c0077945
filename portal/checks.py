"""Start-up checks that turn a careless deployment into a clear message instead of a server error.

With DEBUG off, the static files are served under names that include a hash of their content
(whitenoise's CompressedManifestStaticFilesStorage), looked up in a manifest that only
`collectstatic` writes. Without it every page that links a stylesheet fails with a 500, the
sign-in page first. So the web server refuses to start: policy_portal/wsgi.py (which gunicorn and
runserver both load) calls `require_collected_static_files`. Other commands only warn, through the
system check below: a worker host that runs `migrate` or `audit_verify` serves no pages.

The check has its own tag, not Django's "staticfiles" one: collectstatic runs only the checks
tagged "staticfiles", so this one never stops the command that puts things right.
"""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

STATIC_FILES_NOT_COLLECTED = "portal.W001"
TAG = "static_files_collected"


def missing_manifest() -> str | None:
    """The path of the static files manifest if this deployment needs it and it is not there."""
    if settings.DEBUG:
        return None  # pages link the files by their plain names, served from static/
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return None
    if storage.manifest_storage.exists(storage.manifest_name):
        return None
    try:
        return storage.manifest_storage.path(storage.manifest_name)
    except NotImplementedError:  # a storage without local paths (object storage)
        return storage.manifest_name


def _message(path: str) -> str:
    return (
        f"The static files (stylesheets and scripts) have not been collected: {path} is missing, "
        "so every page would fail with a server error while DEBUG is off."
    )


HINT = "Run: python manage.py collectstatic --noinput (the Dockerfile does this when the image is built)."


@checks.register(TAG)
def static_files_collected(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    path = missing_manifest()
    if path is None:
        return []
    return [checks.Warning(_message(path), hint=HINT, id=STATIC_FILES_NOT_COLLECTED)]


def require_collected_static_files() -> None:
    """Refuse to serve pages, with the check's message, when the static files were not collected."""
    path = missing_manifest()
    if path is not None:
        raise ImproperlyConfigured(f"{_message(path)} {HINT}")
