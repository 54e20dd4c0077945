"""Settings for the test suite: the real settings, with test-only speedups.

DATABASE_URL and CELERY_BROKER_URL still come from the environment, so CI runs the same
suite against PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "Y4Yb3dCQ1ea9dWlvBqXr3ZTkR9p5T1-yuGzXQbtT8rI=")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Eager in the test process; a real worker started by tests/integration is told otherwise,
# so its own follow-up tasks (retries with a countdown) go through the broker as in production.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("TEST_CELERY_EAGER", "true") == "true"
CELERY_TASK_EAGER_PROPAGATES = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file rather than memory, so a real Celery worker in another process sees the test
    # data; one per test run, so two runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(VAR_DIR) / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# The link preview tests serve pages from 127.0.0.1; a test that checks the refusal turns this off.
LINK_PREVIEW_ALLOW_PRIVATE_HOSTS = True
# The stub Mastodon server listens on 127.0.0.1 over plain http; a test that checks the refusal turns this off.
MASTODON_ALLOW_PRIVATE_SERVERS = True
