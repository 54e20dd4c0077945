"""Settings, read from the environment (see .env.example for every variable).

With nothing set, the portal runs as the embedded laptop demo: SQLite, a filesystem
Celery broker, console email. With DEBUG off it refuses to start without SECRET_KEY and
FIELD_ENCRYPTION_KEY.
"""

import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
VAR_DIR = env.path("PORTAL_VAR_DIR", default=str(BASE_DIR / "var"))
Path(VAR_DIR).mkdir(parents=True, exist_ok=True)


def _local_secret(name: str, make) -> str:
    """A per-checkout secret kept in var/, for the laptop demo only (DEBUG on)."""
    path = Path(VAR_DIR) / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _local_secret("secret_key", lambda: secrets.token_urlsafe(50))

# Comma-separated Fernet keys, newest first; older keys still decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set when DEBUG is off. Make one with: "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    from cryptography.fernet import Fernet

    FIELD_ENCRYPTION_KEYS = [_local_secret("field_encryption_key", lambda: Fernet.generate_key().decode())]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "audit",
    "accounts",
    "networks",
    "consent",
    "moderation",
    "posts",
    "community",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header on every response (the policy is set below).
    "csp.middleware.CSPMiddleware",
    # Answers /healthz before any session, user or school is looked at.
    "portal.middleware.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionActivityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.SchoolMembershipMiddleware",
    "accounts.middleware.RequireSecondFactorMiddleware",
]

ROOT_URLCONF = "policy_portal.urls"
WSGI_APPLICATION = "policy_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.membership",
                "portal.navigation.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{Path(VAR_DIR) / 'portal.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A kept connection (CONN_MAX_AGE, or a worker's CELERY_DB_REUSE_MAX) is checked before its
# first use in each request or task (policy_portal/celery.py), so one that a database restart
# cut while it sat idle is replaced rather than failing the work it was given.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# `manage.py backup` and `restore` run pg_dump and pg_restore from this folder (empty: the PATH).
POSTGRES_BIN_DIR = env.str("POSTGRES_BIN_DIR", default="")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker, beat and web server share one SQLite file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in (django-allauth): email and password, no public sign-up (staff are invited).
ACCOUNT_ADAPTER = "accounts.adapters.InviteOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {
    # allauth's own failed-sign-in limit ("10/m/ip,5/5m/key") paused an account for everyone
    # after five wrong passwords, so anyone could keep its owner out. SIGN_IN_LIMITS below
    # replaces it, and allauth's plain "login" limit, at both sign-in steps.
    "login_failed": "",
    "login": "",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For to trust, so login
# rate limits count per visitor rather than per proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)


def _doubling(free: int, first_wait: int, longest_wait: int) -> str:
    """A rate in allauth's syntax where, after `free` failures, each further failure doubles the
    wait (first_wait seconds, then twice that, ...) up to longest_wait. Each window spans all the
    waits so far, so a guesser who tries again as soon as allowed waits 60 s, 120 s, 240 s, ...:
    "5/60s,6/180s,7/420s,..."."""
    rates, wait, window, allowed = [], first_wait, 0, free
    while True:
        wait = min(wait, longest_wait)
        window += wait
        rates.append(f"{allowed}/{window}s")
        if wait == longest_wait:
            return ",".join(rates)
        wait, allowed = wait * 2, allowed + 1


# Sign-in limits (accounts/services_sign_in.py), at the password step and the code step alike,
# in allauth's rate syntax (amount/period, several separated by commas). A browser that has
# signed in to an account before carries a signed "device cookie" for it, and is judged only
# by its own failures; other browsers share limits per address, per address and account, and
# per account, so a botnet's guesses are limited without refusing the owner's usual browser.
SIGN_IN_LIMITS = {
    # Attempts from one address, right or wrong, from browsers without the account's device
    # cookie (the load test raises it: all its staff sign in from 127.0.0.1 within a minute).
    "attempts": env.str("LOGIN_RATE_LIMIT", default="30/m"),
    # Failures from one address whatever the account: a school's staff often share one address.
    "address": env.str("SIGN_IN_LIMIT_PER_ADDRESS", default="60/10m,300/1d"),
    # Failures from one address at one account: 5 free, then 1 minute doubling up to a day.
    "address_account": env.str("SIGN_IN_LIMIT_PER_ADDRESS_AND_ACCOUNT", default=_doubling(5, 60, 86400)),
    # Failures at one account from every browser without its device cookie: more than one
    # address can reach (16 in two days), so only a guesser on many addresses meets it.
    "account": env.str("SIGN_IN_LIMIT_PER_ACCOUNT", default=_doubling(30, 3600, 86400)),
    # Failures from one browser with the account's device cookie.
    "device_account": env.str("SIGN_IN_LIMIT_PER_DEVICE", default=_doubling(5, 60, 86400)),
}
SIGN_IN_DEVICE_COOKIE_DAYS = env.int("SIGN_IN_DEVICE_COOKIE_DAYS", default=90)
MFA_ADAPTER = "accounts.adapters.EncryptingMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_FORMS = {
    "authenticate": "accounts.forms.SecondFactorCodeForm",
    "reauthenticate": "accounts.forms.SecondFactorReauthenticateForm",
    "activate_totp": "accounts.forms.ActivateAuthenticatorForm",
}
# Accept the code either side of the current 30 s window: a code typed as it rolls over still works.
MFA_TOTP_TOLERANCE = 1
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Policy Portal")
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# Sessions. A session ends SESSION_COOKIE_AGE seconds after the person's last page (8 idle
# hours), or when the browser closes. Rather than rewrite the session row on every page,
# accounts.middleware.SessionActivityMiddleware pushes the end back at most once every
# SESSION_ACTIVITY_REFRESH_SECONDS, so the idle limit is kept to within that many seconds.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=int(timedelta(hours=8).total_seconds()))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ACTIVITY_REFRESH_SECONDS = env.int("SESSION_ACTIVITY_REFRESH_SECONDS", default=5 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

INVITATION_VALID_FOR = timedelta(days=env.int("INVITATION_VALID_DAYS", default=7))
# School devices (accounts.services_devices): an enrolment link works once, for this long; the
# cookie it leaves on the device lasts years (revoking the device stops it counting at once).
DEVICE_ENROLMENT_VALID_FOR = timedelta(minutes=env.int("DEVICE_ENROLMENT_VALID_MINUTES", default=60))
DEVICE_COOKIE_DAYS = env.int("DEVICE_COOKIE_DAYS", default=5 * 365)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(VAR_DIR) / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(Path(VAR_DIR) / "media"))
# Media storage (issue 16). Two named storages: "default" holds what the portal shows (photo
# renditions and thumbnails, the local network's images); "private" holds what it never shows
# (photos' originals, MIS import files). With nothing set both are the local disk under
# MEDIA_ROOT. With MEDIA_STORAGE=s3 (or AWS_STORAGE_BUCKET_NAME set) both live in S3-compatible
# object storage (AWS, MinIO...), so web and workers can run on separate hosts: nothing in the
# buckets is public, and the portal hands out only short-lived signed links after its own
# permission check (policy_portal/storage.py).
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="s3" if env.str("AWS_STORAGE_BUCKET_NAME", default="") else "local")
# Seconds a signed link to a photo works. 0: the portal streams photos itself instead (when
# browsers cannot reach the object store).
MEDIA_SIGNED_LINK_SECONDS = env.int("MEDIA_SIGNED_LINK_SECONDS", default=300)
# Browsers follow signed links, so links are signed for the store's address as browsers reach
# it, when that differs from the one the portal uses (http://minio:9000 inside Docker).
AWS_S3_PUBLIC_ENDPOINT_URL = env.str("AWS_S3_PUBLIC_ENDPOINT_URL", default="")
if MEDIA_STORAGE == "s3":
    from botocore.config import Config as _BotoConfig

    _s3 = {
        "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
        "region_name": env.str("AWS_S3_REGION_NAME", default=None),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),  # "path" for MinIO
        "signature_version": "s3v4",
        "default_acl": None,  # objects inherit the bucket's (private) access; no public ACL is ever sent
        "querystring_auth": True,  # every link the storage makes is signed
        "querystring_expire": MEDIA_SIGNED_LINK_SECONDS or 300,
        "file_overwrite": False,
        # A store that does not answer fails the upload in seconds, not minutes.
        "client_config": _BotoConfig(
            connect_timeout=env.int("AWS_S3_CONNECT_TIMEOUT", default=5),
            read_timeout=env.int("AWS_S3_READ_TIMEOUT", default=30),
            retries={"max_attempts": env.int("AWS_S3_MAX_ATTEMPTS", default=3), "mode": "standard"},
        ),
    }
    _media_bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not _media_bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _media_storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3, "bucket_name": _media_bucket, "location": "media"},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3,
                "bucket_name": env.str("AWS_PRIVATE_BUCKET_NAME", default=_media_bucket),
                "location": "private",
            },
        },
    }
elif MEDIA_STORAGE == "local":
    # One folder for both, as before issue 16: the portal serves nothing from MEDIA_ROOT directly.
    _media_storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}.")
STORAGES = {
    **_media_storages,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Policy Portal <portal@localhost>")

# Celery. The default filesystem broker needs no server, so a laptop runs a real worker
# and beat; a deployment sets CELERY_BROKER_URL=redis://…
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(VAR_DIR) / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The folder is read this often (kombu's default is once a second, which an approval
        # then waits on average half of); reading a small folder costs next to nothing.
        "polling_interval": env.float("CELERY_FILESYSTEM_POLL_SECONDS", default=0.1),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Network tasks (publishing, reading mentions and followers) go to their own queue, served by
# a worker with a pool of threads; the rest stays on the default queue, served by processes
# (policy_portal/celery.py explains the split).
CELERY_TASK_ROUTES = ("policy_portal.celery.route_task",)
# Threads of the network worker: calls in flight at once. Each holds one database connection
# while it runs a task. SQLite takes one writer at a time, so more threads only queue there.
NETWORK_WORKER_THREADS = env.int(
    "NETWORK_WORKER_THREADS", default=4 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 16
)
# Celery closes a worker's database connection before and after every task unless told to
# reuse it; a new PostgreSQL connection per published post cost more than the post's queries.
# Each worker thread keeps its connection for this many tasks (policy_portal/celery.py drops
# one that broke sooner).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)
# Processes of the default worker (imports, sweeps, digests); 1 runs them in the worker itself.
DEFAULT_WORKER_PROCESSES = env.int("DEFAULT_WORKER_PROCESSES", default=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The audit trail's hash chains are walked in full this often (audit.tasks.verify_trails); the
# headteacher's audit page shows the latest result. About 12 s per 100,000 entries.
AUDIT_VERIFY_EVERY_MINUTES = env.int("AUDIT_VERIFY_EVERY_MINUTES", default=60)
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {"task": "accounts.tasks.clear_expired_sessions", "schedule": timedelta(hours=1)},
    "tidy-consent-imports": {"task": "consent.tasks.tidy_imports", "schedule": timedelta(hours=1)},
    "sweep-expired-consent": {"task": "posts.tasks.sweep_expired_consent", "schedule": timedelta(hours=6)},
    "remind-policy-review": {"task": "moderation.tasks.remind_policy_review", "schedule": timedelta(days=1)},
    # New mentions of every account, screened for the mentions inbox (issue 7).
    "fetch-mentions": {"task": "community.tasks.fetch_all_mentions", "schedule": timedelta(minutes=5)},
    # Followers of every account, screened for the office admin's review queue (issue 7).
    "sync-audience": {"task": "community.tasks.sync_audience", "schedule": timedelta(minutes=15)},
    # Due posts, retries and stuck posts are found by this sweep, not by long countdowns.
    "publish-due-posts": {"task": "posts.tasks.sweep_publishing", "schedule": timedelta(minutes=1)},
    "delete-expired-photo-originals": {"task": "posts.tasks.delete_expired_originals", "schedule": timedelta(days=1)},
    # Files a failed upload wrote before the object store stopped answering (issue 16).
    "delete-orphan-files": {"task": "posts.tasks.delete_orphan_files", "schedule": timedelta(minutes=10)},
    # Approvers who chose the morning digest (CELERY_TIMEZONE is the school's time zone).
    "send-approval-digests": {"task": "posts.tasks.send_approval_digests", "schedule": crontab(hour=7, minute=30)},
    # Private messages (issue 18) left "sending" by a dead worker, or approved with their task lost.
    "sweep-private-messages": {"task": "community.tasks.sweep_outgoing_messages", "schedule": timedelta(minutes=5)},
    # Posts waiting too long at one approval step: remind, then ask the headteacher (issue 18).
    "remind-waiting-steps": {"task": "posts.tasks.remind_waiting_steps", "schedule": timedelta(minutes=15)},
    "verify-audit-trail": {
        "task": "audit.tasks.verify_trails",
        "schedule": timedelta(minutes=AUDIT_VERIFY_EVERY_MINUTES),
    },
}

# X (Twitter). Base URLs are settings so tests drive the real client code against a stub
# server on 127.0.0.1. The OAuth 2.0 client (PKCE) identifies this portal to X; OAuth 1.0a
# consumer keys serve schools that already hold user tokens from an older app.
X_API_BASE_URL = env.str("X_API_BASE_URL", default="https://api.x.com")
X_UPLOAD_BASE_URL = env.str("X_UPLOAD_BASE_URL", default=X_API_BASE_URL)
X_AUTHORIZE_URL = env.str("X_AUTHORIZE_URL", default="https://x.com/i/oauth2/authorize")
X_CLIENT_ID = env.str("X_CLIENT_ID", default="")
X_CLIENT_SECRET = env.str("X_CLIENT_SECRET", default="")
X_CONSUMER_KEY = env.str("X_CONSUMER_KEY", default="")
X_CONSUMER_SECRET = env.str("X_CONSUMER_SECRET", default="")
# The API tier the school's X app is on: free, basic, pro or enterprise. It decides what the
# portal tries (reading followers needs a paid tier; blocking through the API, Enterprise).
X_API_TIER = env.str("X_API_TIER", default="free")
X_TIMEOUT_SECONDS = env.float("X_TIMEOUT_SECONDS", default=20.0)

# Bluesky. A school's account signs in at BLUESKY_SERVICE_URL (Bluesky's own entry service, or a
# self-hosted PDS); after that the portal talks to the account's PDS, which the sign-in names.
# A setting so tests run the real SDK against a stub server on 127.0.0.1.
BLUESKY_SERVICE_URL = env.str("BLUESKY_SERVICE_URL", default="https://bsky.social")
BLUESKY_TIMEOUT_SECONDS = env.float("BLUESKY_TIMEOUT_SECONDS", default=20.0)
# The language every post is marked with (a BCP 47 tag): Bluesky's feeds filter by it.
BLUESKY_POST_LANGUAGE = env.str("BLUESKY_POST_LANGUAGE", default="en")

# Mastodon. Each school's account lives on a server of its own choosing; the portal registers
# itself once per server (networks.mastodon.models.MastodonApp) and signs in with OAuth. Server
# addresses on private, loopback or link-local networks are refused, so an admin cannot make the
# portal call into its own network; MASTODON_ALLOW_PRIVATE_SERVERS lets a test or a demo on one
# machine use a server on 127.0.0.1 (and plain http). Uploaded photos are processed by the server
# after upload: the portal waits up to MASTODON_MEDIA_WAIT_SECONDS for each before posting.
MASTODON_TIMEOUT_SECONDS = env.float("MASTODON_TIMEOUT_SECONDS", default=20.0)
MASTODON_ALLOW_PRIVATE_SERVERS = env.bool("MASTODON_ALLOW_PRIVATE_SERVERS", default=False)
MASTODON_MEDIA_WAIT_SECONDS = env.float("MASTODON_MEDIA_WAIT_SECONDS", default=60.0)
MASTODON_APP_NAME = env.str("MASTODON_APP_NAME", default="Policy Portal")

# Link previews (posts.outside): the portal reads the page behind each link in a post, as the
# network will, so the consent check sees the preview card's words. Pages on private, loopback,
# link-local, reserved or multicast addresses are refused, so a post cannot make the portal
# read its own network; turn this on only for a test or demo run on one machine.
LINK_PREVIEW_ALLOW_PRIVATE_HOSTS = env.bool("LINK_PREVIEW_ALLOW_PRIVATE_HOSTS", default=False)

# Publishing (posts.services.publishing). A post left in "publishing" this long (a worker killed
# mid-call) is reconciled by the sweeper; it must exceed the longest publish (a few network
# calls of X_TIMEOUT_SECONDS each). Each account publishes at most PUBLISH_MAX_PER_WINDOW
# posts per PUBLISH_WINDOW_SECONDS, below X's per-user write limit, so a burst of approvals
# queues instead of failing. Transient failures retry with exponential backoff and jitter
# from PUBLISH_RETRY_BASE_SECONDS, at most PUBLISH_MAX_ATTEMPTS attempts in all.
PUBLISH_STUCK_AFTER_SECONDS = env.float("PUBLISH_STUCK_AFTER_SECONDS", default=600.0)
PUBLISH_WINDOW_SECONDS = env.float("PUBLISH_WINDOW_SECONDS", default=900.0)
PUBLISH_MAX_PER_WINDOW = env.int("PUBLISH_MAX_PER_WINDOW", default=50)
PUBLISH_MAX_ATTEMPTS = env.int("PUBLISH_MAX_ATTEMPTS", default=8)
PUBLISH_RETRY_BASE_SECONDS = env.float("PUBLISH_RETRY_BASE_SECONDS", default=30.0)
PUBLISH_RETRY_MAX_SECONDS = env.float("PUBLISH_RETRY_MAX_SECONDS", default=3600.0)
# Photos' full-resolution originals are deleted this many days after their post is settled
# (published, rejected, withdrawn, taken down); the published rendition is kept.
ORIGINAL_PHOTO_RETENTION_DAYS = env.int("ORIGINAL_PHOTO_RETENTION_DAYS", default=30)

# Security headers. Behind TLS in production; SECURE_SSL_REDIRECT can be turned off when a
# proxy terminates TLS and already redirects.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp). Scripts and stylesheets only from the portal's own
# static files: no inline <script>, no on*="" handlers, no style="" attributes, no eval
# (tests/portal/test_csp.py scans the templates). Images may also be data: or blob: URLs, so
# that a script can show a photo from the camera before it is uploaded. Forms post to the
# portal itself, and to X's sign-in page, where connecting an account on X sends the browser.
# CSP_REPORT_ONLY=true sends the same policy as Content-Security-Policy-Report-Only instead,
# so an operator can watch for what it would block without blocking it; CSP_REPORT_URI, when
# set, is where browsers send reports.
_csp_report_only = env.bool("CSP_REPORT_ONLY", default=False)
_csp_report_uri = env.str("CSP_REPORT_URI", default="")
_x_sign_in = urlsplit(X_AUTHORIZE_URL)
_csp_directives = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:", "blob:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "form-action": [SELF, f"{_x_sign_in.scheme}://{_x_sign_in.netloc}"],
    "frame-ancestors": [NONE],
    "base-uri": [SELF],
    "object-src": [NONE],
}
if _csp_report_uri:
    _csp_directives["report-uri"] = [_csp_report_uri]
if _csp_report_only:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _csp_directives}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _csp_directives}

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
