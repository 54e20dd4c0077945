"""A stub Mastodon server for tests: real HTTP on 127.0.0.1 (port 0), in-memory accounts and
statuses, faults on demand, and every request checked against a compact schema of the endpoints
the portal uses, written from Mastodon's API documentation (docs.joinmastodon.org, cited per
endpoint below). No registry package ships a machine-readable description of Mastodon's API
(npm's `masto` has TypeScript types, not an OpenAPI file), so the schema is written here.
Mastodon's real server is a Rails application with PostgreSQL, Redis and Sidekiq: it cannot be
installed from a registry package here, so the integration tests run against this stub.

Use the `mastodon_stub` fixture (registered for the whole suite in tests/conftest.py). It fails
the test at teardown if any request did not match the schema.

    school = mastodon_stub.add_account("alpha_year3")        # an account on the server
    creds, facts = mastodon_stub.connect(school)              # SocialAccount.credentials / network_settings
    mastodon_stub.add_follower(school, mastodon_stub.add_account("parent1"))
    mastodon_stub.add_mention(school, author, "Hello @alpha_year3")
    mastodon_stub.add_direct_message(school, author, "Hello")  # a "direct" status mentioning school
    mastodon_stub.notifications_of(account)                      # its notifications, oldest first
    mastodon_stub.statuses_by(school)                          # live statuses, oldest first (dicts)
    mastodon_stub.max_characters = 1000                        # the server's own limits (instance)

Faults (each applies to the next matching request only; a route is "METHOD /path/template" as in
ENDPOINTS, e.g. "POST /api/v1/statuses", "DELETE /api/v1/statuses/{id}"):

    fail_next(route, status=503, body=None, headers=None, apply=False)   apply=True: takes effect first
    rate_limit_next(route, reset_in=120)     429 with X-RateLimit-Reset (ISO 8601, as Mastodon sends)
    delay_next(route, seconds, apply=True)   "timeout after send": takes effect, answers late
    hold = hold_next(route)                  takes effect, waits for hold.release(); hold.reached.wait(t)
    revoke_token(token)                      that token stops working (401), as when the user revokes the app
    go_down() / come_back()                  the server stops listening (connection refused) and returns
    media_processing_polls = 2               GET /api/v1/media/{id} answers 206 this many times less one

The same Idempotency-Key on POST /api/v1/statuses returns the status it made the first time.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest

from tests.stub_http import Hold
from tests.stub_http import JSONHandler as _Handler

DOCS = "https://docs.joinmastodon.org"


# --- The schema: one entry per endpoint the portal uses ------------------------------------------


@dataclass(frozen=True)
class Param:
    kind: str = "string"  # string | integer | boolean | id | array | file (array_of_keys: see oauth_info)
    required: bool = False
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Endpoint:
    doc: str
    # Any one of these scopes will do (a parent scope, "read" or "write", covers its children).
    # None: public, no token needed (a token, when sent, must still be valid).
    scopes: tuple[str, ...] | None
    params: dict[str, Param] = field(default_factory=dict)
    body: str = "form"  # where parameters travel on a write: form (urlencoded or multipart)
    # An OAuth endpoint: authenticated by client id and secret, not a bearer token.
    oauth: bool = False


_ID = Param("id")
_BOOL = Param("boolean")
_PAGE = {"max_id": _ID, "since_id": _ID, "min_id": _ID}
NOTIFICATION_TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "severed_relationships",
    "moderation_warning",
    "quote",
    "quoted_update",
)
ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    # Server metadata; public.
    ("GET", "/api/v2/instance"): Endpoint(f"{DOCS}/methods/instance/#v2", None),
    ("GET", "/api/v1/instance"): Endpoint(f"{DOCS}/methods/instance/#v1", None),
    ("GET", "/.well-known/oauth-authorization-server"): Endpoint(
        f"{DOCS}/methods/oauth/#authorization-server-metadata", None
    ),
    # Registering the portal as an app on the server.
    ("POST", "/api/v1/apps"): Endpoint(
        f"{DOCS}/methods/apps/#create",
        None,
        {
            "client_name": Param(required=True),
            "redirect_uris": Param(required=True),
            "scopes": Param(),
            "website": Param(),
        },
        oauth=True,
    ),
    # OAuth 2.0 authorization code flow.
    ("GET", "/oauth/authorize"): Endpoint(
        f"{DOCS}/methods/oauth/#authorize",
        None,
        {
            "response_type": Param(required=True, enum=("code",)),
            "client_id": Param(required=True),
            "redirect_uri": Param(required=True),
            "scope": Param(),
            "state": Param(),
            "code_challenge": Param(),
            "code_challenge_method": Param(enum=("S256",)),
            "force_login": _BOOL,
            "lang": Param(),
        },
        oauth=True,
    ),
    ("POST", "/oauth/token"): Endpoint(
        f"{DOCS}/methods/oauth/#token",
        None,
        {
            "grant_type": Param(required=True, enum=("authorization_code", "client_credentials", "refresh_token")),
            "code": Param(),
            "client_id": Param(required=True),
            "client_secret": Param(required=True),
            "redirect_uri": Param(required=True),
            "scope": Param(),
            "code_verifier": Param(),
            # Not Mastodon's: Mastodon.py 2.3.3's log_in() builds its form from locals(), which
            # include the server's OAuth metadata it just read, so requests sends that dict's keys
            # as repeated `oauth_info` values. Mastodon (Doorkeeper) ignores unknown parameters;
            # tolerated here and nowhere else.
            "oauth_info": Param("array_of_keys"),
        },
        oauth=True,
    ),
    ("POST", "/oauth/revoke"): Endpoint(
        f"{DOCS}/methods/oauth/#revoke",
        None,
        {"client_id": Param(required=True), "client_secret": Param(required=True), "token": Param(required=True)},
        oauth=True,
    ),
    # The signed-in account.
    ("GET", "/api/v1/accounts/verify_credentials"): Endpoint(
        f"{DOCS}/methods/accounts/#verify_credentials", ("read:accounts", "profile")
    ),
    ("GET", "/api/v1/accounts/lookup"): Endpoint(
        f"{DOCS}/methods/accounts/#lookup", None, {"acct": Param(required=True)}
    ),
    # Statuses.
    ("POST", "/api/v1/statuses"): Endpoint(
        f"{DOCS}/methods/statuses/#create",
        ("write:statuses",),
        {
            "status": Param(),
            "media_ids": Param("array"),
            "in_reply_to_id": _ID,
            "sensitive": _BOOL,
            "spoiler_text": Param(),
            "visibility": Param(enum=("public", "unlisted", "private", "direct")),
            "language": Param(max_length=3),
            "scheduled_at": Param(),
            "quoted_status_id": _ID,
            "quote_approval_policy": Param(enum=("public", "followers", "nobody")),
        },
    ),
    ("GET", "/api/v1/statuses/{id}"): Endpoint(f"{DOCS}/methods/statuses/#get", None),
    # Boosts (reposts, issue 18).
    ("POST", "/api/v1/statuses/{id}/reblog"): Endpoint(
        f"{DOCS}/methods/statuses/#boost",
        ("write:statuses",),
        {"visibility": Param(enum=("public", "unlisted", "private"))},
    ),
    ("POST", "/api/v1/statuses/{id}/unreblog"): Endpoint(f"{DOCS}/methods/statuses/#unreblog", ("write:statuses",)),
    ("GET", "/api/v2/search"): Endpoint(
        f"{DOCS}/methods/search/#v2",
        ("read:search",),
        {
            "q": Param(required=True),
            "type": Param(enum=("accounts", "hashtags", "statuses")),
            "resolve": _BOOL,
            "following": _BOOL,
            "account_id": _ID,
            "exclude_unreviewed": _BOOL,
            **_PAGE,
            "limit": Param("integer", maximum=40),
            "offset": Param("integer"),
        },
    ),
    ("DELETE", "/api/v1/statuses/{id}"): Endpoint(
        f"{DOCS}/methods/statuses/#delete", ("write:statuses",), {"delete_media": _BOOL}
    ),
    ("GET", "/api/v1/accounts/{id}/statuses"): Endpoint(
        f"{DOCS}/methods/accounts/#statuses",
        None,
        {
            **_PAGE,
            "limit": Param("integer", maximum=40),
            "only_media": _BOOL,
            "exclude_replies": _BOOL,
            "exclude_reblogs": _BOOL,
            "pinned": _BOOL,
            "tagged": Param(),
        },
    ),
    # Media: uploaded, then processed by the server (202 and a null url until it is done).
    ("POST", "/api/v2/media"): Endpoint(
        f"{DOCS}/methods/media/#v2",
        ("write:media",),
        {
            "file": Param("file", required=True),
            "thumbnail": Param("file"),
            "description": Param(max_length=1500),
            "focus": Param(),
        },
    ),
    ("GET", "/api/v1/media/{id}"): Endpoint(f"{DOCS}/methods/media/#get", ("write:media",)),
    # People.
    ("GET", "/api/v1/accounts/{id}/followers"): Endpoint(
        f"{DOCS}/methods/accounts/#followers", None, {**_PAGE, "limit": Param("integer", maximum=80)}
    ),
    ("GET", "/api/v1/notifications"): Endpoint(
        f"{DOCS}/methods/notifications/#get",
        ("read:notifications",),
        {
            **_PAGE,
            "limit": Param("integer", maximum=80),
            "types": Param("array", enum=NOTIFICATION_TYPES),
            "exclude_types": Param("array", enum=NOTIFICATION_TYPES),
            "account_id": _ID,
            "include_filtered": _BOOL,
        },
    ),
    ("POST", "/api/v1/accounts/{id}/mute"): Endpoint(
        f"{DOCS}/methods/accounts/#mute",
        ("write:mutes", "follow"),
        {"notifications": _BOOL, "duration": Param("integer")},
    ),
    ("POST", "/api/v1/accounts/{id}/unmute"): Endpoint(f"{DOCS}/methods/accounts/#unmute", ("write:mutes", "follow")),
    ("POST", "/api/v1/accounts/{id}/block"): Endpoint(f"{DOCS}/methods/accounts/#block", ("write:blocks", "follow")),
    ("POST", "/api/v1/accounts/{id}/unblock"): Endpoint(
        f"{DOCS}/methods/accounts/#unblock", ("write:blocks", "follow")
    ),
    ("POST", "/api/v1/accounts/{id}/follow"): Endpoint(
        f"{DOCS}/methods/accounts/#follow",
        ("write:follows", "follow"),
        {"reblogs": _BOOL, "notify": _BOOL, "languages": Param("array")},
    ),
    ("POST", "/api/v1/accounts/{id}/unfollow"): Endpoint(
        f"{DOCS}/methods/accounts/#unfollow", ("write:follows", "follow")
    ),
    ("POST", "/api/v1/accounts/{id}/remove_from_followers"): Endpoint(
        f"{DOCS}/methods/accounts/#remove_from_followers", ("write:follows", "follow")
    ),
    ("POST", "/api/v1/reports"): Endpoint(
        f"{DOCS}/methods/reports/#post",
        ("write:reports",),
        {
            "account_id": Param("id", required=True),
            "status_ids": Param("array"),
            "collection_ids": Param("array"),
            "comment": Param(max_length=1000),
            "forward": _BOOL,
            "forward_to_domains": Param("array"),
            "category": Param(enum=("spam", "legal", "violation", "other")),
            "rule_ids": Param("array"),
        },
    ),
}
_BOOLEANS = {"true", "false", "1", "0"}


def _template_regex(template: str) -> re.Pattern:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


_ROUTES = sorted(
    ((method, template, _template_regex(template)) for method, template in ENDPOINTS),
    key=lambda route: route[1].count("{"),  # literal paths (verify_credentials) before {id}
)


def match_route(method: str, path: str) -> tuple[str | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists at all."""
    path = path.rstrip("/") or "/"  # Rails routes take a trailing slash (Mastodon.py sends some)
    known = False
    for route_method, template, regex in _ROUTES:
        found = regex.fullmatch(path)
        if found:
            known = True
            if route_method == method:
                return f"{method} {template}", found.groupdict(), True
    return None, {}, known


def check_params(route: str, params: dict[str, list[Any]], path_params: dict[str, str]) -> list[str]:
    """Everything wrong with a request's parameters according to the schema (empty when it matches)."""
    method, template = route.split(" ", 1)
    endpoint = ENDPOINTS[(method, template)]
    problems = [
        f"{route}: path {name}: not a Mastodon id" for name, value in path_params.items() if not value.isdigit()
    ]
    for name, values in params.items():
        bare = name[:-2] if name.endswith("[]") else name
        spec = endpoint.params.get(bare)
        if spec is None:
            problems.append(f"{route}: parameter {name} is not in the documentation ({endpoint.doc})")
            continue
        if spec.kind == "array" and not name.endswith("[]"):
            problems.append(f"{route}: {bare} is an array and must be sent as {bare}[]")
        if spec.kind == "array_of_keys":
            continue
        if spec.kind != "array" and (name.endswith("[]") or len(values) > 1):
            problems.append(f"{route}: {bare} takes one value")
        for value in values:
            problems += [f"{route}: {bare}: {problem}" for problem in _value_problems(spec, value)]
    for name, spec in endpoint.params.items():
        if spec.required and name not in params and f"{name}[]" not in params:
            problems.append(f"{route}: required parameter {name} is missing ({endpoint.doc})")
    return problems


def _value_problems(spec: Param, value: Any) -> list[str]:
    if spec.kind == "file":
        return [] if isinstance(value, bytes) else ["must be a file part"]
    if isinstance(value, bytes):
        return ["is a file where a value is expected"]
    problems = []
    if spec.kind == "boolean" and value.lower() not in _BOOLEANS:
        problems.append(f"{value!r} is not a boolean")
    if spec.kind == "integer" and not re.fullmatch(r"-?\d+", value):
        problems.append(f"{value!r} is not an integer")
    if spec.kind == "id" and not value.isdigit():
        problems.append(f"{value!r} is not a Mastodon id")
    if spec.maximum is not None and re.fullmatch(r"\d+", value) and int(value) > spec.maximum:
        problems.append(f"{value} is above the maximum of {spec.maximum}")
    if spec.max_length is not None and len(value) > spec.max_length:
        problems.append(f"is {len(value)} characters, above the limit of {spec.max_length}")
    if spec.enum is not None and value not in spec.enum:
        problems.append(f"{value!r} is not one of {', '.join(spec.enum)}")
    return problems


def scope_allows(granted: str, needed: tuple[str, ...] | None) -> bool:
    if needed is None:
        return True
    have = set(granted.split())
    return any(scope in have or scope.split(":", 1)[0] in have for scope in needed)


# --- Mastodon's own length count, written independently of the portal's ---------------------------

_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_REMOTE_MENTION = re.compile(r"(?<![\w/@])(@\w[\w.]*)@[\w.-]+\.\w+", re.IGNORECASE)


def status_length(text: str, url_length: int) -> int:
    """As Mastodon's StatusLengthValidator: each link counts as `url_length`, a remote mention as its local part."""
    text = _URL.sub("x" * url_length, text)
    return len(_REMOTE_MENTION.sub(r"\1", text))


# --- In-memory Mastodon -------------------------------------------------------------------------


@dataclass
class StubAccount:
    id: str
    username: str
    display_name: str = ""
    note: str = ""
    created_at: str = "2022-11-01T00:00:00.000Z"
    followers: list[str] = field(default_factory=list)
    mutes: set[str] = field(default_factory=set)
    blocks: set[str] = field(default_factory=set)
    following: set[str] = field(default_factory=set)
    locked: bool = False


@dataclass
class Token:
    account_id: str
    scope: str
    client_id: str
    revoked: bool = False


@dataclass
class Fault:
    route: str
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: Any = None
    apply: bool = False
    delay: float = 0.0
    hold: Hold | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    route: str
    headers: dict[str, str]
    params: dict[str, list[Any]]


class StubError(Exception):
    def __init__(self, status: int, message: str = "", headers: dict | None = None, body: Any = None):
        self.status = status
        self.body = body if body is not None else {"error": message or _REASONS.get(status, "Error")}
        self.headers = headers or {}


_REASONS = {
    401: "The access token is invalid",
    403: "This action is outside the authorized scopes",
    404: "Record not found",
    422: "Validation failed",
    429: "Too many requests",
    500: "We're sorry, but something went wrong on our end.",
    503: "Service Unavailable",
}


class MastodonStub:
    HOLD_LIMIT_SECONDS = 120

    def __init__(self):
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.violations_expected = False
        self.accounts: dict[str, StubAccount] = {}
        self.statuses: dict[str, dict] = {}
        self.media: dict[str, dict] = {}
        self.apps: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, Token] = {}
        self.notifications: list[dict] = []
        self.reports: list[dict] = []
        self.idempotency: dict[tuple[str, str], str] = {}
        self.authorize_as: StubAccount | None = None
        self.max_characters = 500
        self.url_length = 23
        self.max_images = 4
        self.image_size_limit = 16 * 1024 * 1024
        self.description_limit = 1500
        self.version = "4.4.3"
        self.media_processing_polls = 1
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._ids = itertools.count(113_000_000_000_000_001)
        self._account_ids = itertools.count(109_000_000_000_000_001)
        self._server: ThreadingHTTPServer | None = None
        self._port = 0

    # Lifecycle.

    def start(self) -> None:
        stub = self

        class Handler(_Handler):
            pass

        Handler.stub = stub
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="mastodon-stub", daemon=True
        ).start()

    def stop(self) -> None:
        for hold in self._holds:
            hold.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def go_down(self) -> None:
        """Stop listening: connections are refused, as from a server that is down."""
        self.stop()

    def come_back(self) -> None:
        self.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self._port}"

    def env(self) -> dict[str, str]:
        return {"MASTODON_ALLOW_PRIVATE_SERVERS": "true"}

    # Seeding.

    def add_account(self, username: str, display_name: str = "", note: str = "") -> StubAccount:
        with self.lock:
            account = StubAccount(str(next(self._account_ids)), username, display_name or username, note)
            self.accounts[account.id] = account
            if self.authorize_as is None:
                self.authorize_as = account
            return account

    def issue_token(self, account: StubAccount, scope: str = "", client_id: str = "") -> str:
        from networks.mastodon.connect import REQUIRED_SCOPES

        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = Token(account.id, scope or " ".join(REQUIRED_SCOPES), client_id)
        return token

    def connect(self, account: StubAccount, **token_options) -> tuple[dict, dict]:
        """SocialAccount.credentials and network_settings for an account already connected."""
        token = self.issue_token(account, **token_options)
        credentials = {"access_token": token, "scope": self.tokens[token].scope}
        facts = {
            "server": self.base_url,
            "domain": self.domain,
            "account_id": account.id,
            "username": account.username,
            "max_characters": self.max_characters,
            "url_length": self.url_length,
            "max_images": self.max_images,
            "max_image_bytes": self.image_size_limit,
            "description_limit": self.description_limit,
        }
        return credentials, facts

    def add_follower(self, account: StubAccount, follower: StubAccount) -> None:
        with self.lock:
            account.followers.append(follower.id)

    def add_status(
        self, author: StubAccount, text: str, *, in_reply_to_id: str | None = None, visibility: str = "public"
    ) -> dict:
        with self.lock:
            status_id = str(next(self._ids))
            status = {
                "id": status_id,
                "account_id": author.id,
                "text": text,
                "media_ids": [],
                "visibility": visibility,
                "in_reply_to_id": in_reply_to_id,
                "created_at": _now_iso(),
                "deleted": False,
            }
            self.statuses[status_id] = status
            return status

    def add_direct_message(self, account: StubAccount, author: StubAccount, text: str) -> dict:
        """`author` writes to `account` privately: a "direct" status that mentions it."""
        return self.add_mention(account, author, f"@{account.username} {text}", visibility="direct")

    def notifications_of(self, account: StubAccount) -> list[dict]:
        with self.lock:
            return sorted((n for n in self.notifications if n["account_id"] == account.id), key=lambda n: int(n["id"]))

    def add_mention(self, account: StubAccount, author: StubAccount, text: str, *, visibility: str = "public") -> dict:
        with self.lock:
            status = self.add_status(author, text, visibility=visibility)
            return self._notify(account, author, status)

    def _notify(self, account: StubAccount, author: StubAccount, status: dict) -> dict:
        with self.lock:
            notification = {
                "id": str(next(self._ids)),
                "type": "mention",
                "account_id": account.id,
                "from_id": author.id,
                "status_id": status["id"],
                "created_at": status["created_at"],
            }
            self.notifications.append(notification)
            return notification

    def statuses_by(self, account: StubAccount) -> list[dict]:
        with self.lock:
            return [s for s in self.statuses.values() if s["account_id"] == account.id and not s["deleted"]]

    # Faults.

    def fail_next(self, route: str, status: int, body: Any = None, headers: dict | None = None, apply=False) -> None:
        self._add_fault(Fault(route, status=status, headers=headers or {}, body=body, apply=apply))

    def rate_limit_next(self, route: str, reset_in: int = 120) -> float:
        reset = time.time() + reset_in
        stamp = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": stamp}
        self.fail_next(route, 429, headers=headers)
        return reset

    def delay_next(self, route: str, seconds: float, apply: bool = True) -> None:
        self._add_fault(Fault(route, apply=apply, delay=seconds))

    def hold_next(self, route: str) -> Hold:
        hold = Hold()
        self._holds.append(hold)
        self._add_fault(Fault(route, apply=True, hold=hold))
        return hold

    def revoke_token(self, token: str) -> None:
        with self.lock:
            self.tokens[token].revoked = True

    def requests_to(self, route: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route == route]

    def _add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, route: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.route == route:
                    self._faults.remove(fault)
                    return fault
        return None

    # Request handling (called from the server's threads).

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, Any]:
        parts = urlsplit(url)
        route, path_params, known = match_route(method, parts.path)
        params = _params(method, parts.query, headers.get("content-type", ""), body)
        problems = (
            check_params(route, params, path_params)
            if route
            else [
                f"{method} {parts.path}: "
                + ("method not allowed on this path" if known else "not a documented endpoint")
            ]
        )
        with self.lock:
            self.requests.append(RecordedRequest(method, parts.path, route or "", headers, params))
            self.violations.extend(problems)
        if problems:
            return (422 if route else 404), {}, {"error": "; ".join(problems)}
        endpoint = ENDPOINTS[tuple(route.split(" ", 1))]
        try:
            token = None if endpoint.oauth else self._authenticate(headers, endpoint)
            fault = self._take_fault(route)
            if fault and fault.status and not fault.apply:
                raise StubError(fault.status, headers=fault.headers, body=fault.body)
            with self.lock:
                status, extra_headers, result = self._dispatch(route, token, path_params, params, headers)
            if fault:
                if fault.hold:
                    fault.hold.reached.set()
                    fault.hold.wait_released(self.HOLD_LIMIT_SECONDS)
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.status:
                    raise StubError(fault.status, headers=fault.headers, body=fault.body)
            return status, extra_headers, result
        except StubError as exc:
            return exc.status, exc.headers, exc.body
        except Exception as exc:  # a fault in the stub itself must fail the test, not hang it
            with self.lock:
                self.violations.append(f"{route}: the stub failed: {exc!r}")
            return 500, {}, {"error": _REASONS[500]}

    def _authenticate(self, headers: dict[str, str], endpoint: Endpoint) -> Token | None:
        authorization = headers.get("authorization", "")
        if not authorization:
            if endpoint.scopes is not None:
                raise StubError(401)
            return None
        if not authorization.startswith("Bearer "):
            raise StubError(401)
        with self.lock:
            token = self.tokens.get(authorization[7:])
        if token is None or token.revoked:
            raise StubError(401)
        if not scope_allows(token.scope, endpoint.scopes):
            raise StubError(403)
        return token

    def _dispatch(self, route, token, path_params, params, headers) -> tuple[int, dict, Any]:
        handlers = {
            "GET /api/v2/instance": self._instance_v2,
            "GET /api/v1/instance": self._instance_v1,
            "GET /.well-known/oauth-authorization-server": self._oauth_metadata,
            "POST /api/v1/apps": self._create_app,
            "GET /oauth/authorize": self._authorize,
            "POST /oauth/token": self._token,
            "POST /oauth/revoke": self._revoke,
            "GET /api/v1/accounts/verify_credentials": self._verify_credentials,
            "GET /api/v1/accounts/lookup": self._lookup,
            "POST /api/v1/statuses": self._create_status,
            "GET /api/v1/statuses/{id}": self._get_status,
            "DELETE /api/v1/statuses/{id}": self._delete_status,
            "POST /api/v1/statuses/{id}/reblog": self._reblog,
            "POST /api/v1/statuses/{id}/unreblog": self._unreblog,
            "GET /api/v2/search": self._search,
            "GET /api/v1/accounts/{id}/statuses": self._account_statuses,
            "POST /api/v2/media": self._upload,
            "GET /api/v1/media/{id}": self._get_media,
            "GET /api/v1/accounts/{id}/followers": self._followers,
            "GET /api/v1/notifications": self._notifications,
            "POST /api/v1/reports": self._report,
        }
        if route in handlers:
            return handlers[route](token, path_params, params, headers)
        return self._relationship(route, token, path_params)

    # Server.

    def _instance_v2(self, token, path_params, params, headers):
        return (
            200,
            {},
            {
                "domain": self.domain,
                "title": "Stub Mastodon",
                "version": self.version,
                "api_versions": {"mastodon": 6},
                "configuration": {
                    "urls": {"streaming": f"ws://{self.domain}"},
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": self.max_images,
                        "characters_reserved_per_url": self.url_length,
                    },
                    "media_attachments": {
                        "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                        "image_size_limit": self.image_size_limit,
                        "image_matrix_limit": 33177600,
                        "description_limit": self.description_limit,
                    },
                },
            },
        )

    def _instance_v1(self, token, path_params, params, headers):
        """The v1 shape (docs.joinmastodon.org/entities/V1_Instance/): limits under configuration from 3.4."""
        configuration = self._instance_v2(token, path_params, params, headers)[2]["configuration"]
        media = {k: v for k, v in configuration["media_attachments"].items() if k != "description_limit"}
        return (
            200,
            {},
            {
                "uri": self.domain,
                "title": "Stub Mastodon",
                "version": self.version,
                "configuration": {"statuses": configuration["statuses"], "media_attachments": media},
            },
        )

    def _oauth_metadata(self, token, path_params, params, headers):
        from networks.mastodon.connect import REQUIRED_SCOPES

        return (
            200,
            {},
            {
                "issuer": self.base_url + "/",
                "authorization_endpoint": self.base_url + "/oauth/authorize",
                "token_endpoint": self.base_url + "/oauth/token",
                "revocation_endpoint": self.base_url + "/oauth/revoke",
                "scopes_supported": ["read", "write", "follow", "profile", *REQUIRED_SCOPES],
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "client_credentials"],
                "code_challenge_methods_supported": ["S256"],
            },
        )

    # OAuth.

    def _create_app(self, token, path_params, params, headers):
        client_id, client_secret = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
        app = {
            "name": _one(params, "client_name"),
            "redirect_uris": _one(params, "redirect_uris").split(),
            "scopes": _one(params, "scopes", "read"),
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self.apps[client_id] = app
        return (
            200,
            {},
            {
                "id": str(len(self.apps)),
                "name": app["name"],
                "redirect_uri": "\n".join(app["redirect_uris"]),
                "redirect_uris": app["redirect_uris"],
                "scopes": app["scopes"].split(),
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )

    def _authorize(self, token, path_params, params, headers):
        """Approves at once as `authorize_as`, as if the user signed in and pressed Authorise."""
        app = self.apps.get(_one(params, "client_id"))
        redirect_uri = _one(params, "redirect_uri")
        if app is None or redirect_uri not in app["redirect_uris"]:
            raise StubError(400, "The redirect uri included is not valid.")
        scope = _one(params, "scope", "read")
        if not set(scope.split()) <= set(app["scopes"].split()):
            raise StubError(400, "The requested scope is invalid, unknown, or malformed.")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": app["client_id"],
            "redirect_uri": redirect_uri,
            "scope": scope,
            "account_id": self.authorize_as.id,
        }
        query = urlencode({"code": code, **({"state": _one(params, "state")} if "state" in params else {})})
        return 302, {"Location": f"{redirect_uri}?{query}"}, None

    def _token(self, token, path_params, params, headers):
        app = self.apps.get(_one(params, "client_id"))
        if app is None or app["client_secret"] != _one(params, "client_secret"):
            raise StubError(401, body={"error": "invalid_client", "error_description": "Client authentication failed"})
        grant = self.codes.pop(_one(params, "code"), None)
        if (
            _one(params, "grant_type") != "authorization_code"
            or grant is None
            or grant["client_id"] != app["client_id"]
            or grant["redirect_uri"] != _one(params, "redirect_uri")
        ):
            raise StubError(400, body={"error": "invalid_grant", "error_description": "The grant is invalid."})
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = Token(grant["account_id"], grant["scope"], app["client_id"])
        return (
            200,
            {},
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "scope": grant["scope"],
                "created_at": int(time.time()),
            },
        )

    def _revoke(self, token, path_params, params, headers):
        app = self.apps.get(_one(params, "client_id"))
        if app is None or app["client_secret"] != _one(params, "client_secret"):
            raise StubError(403, body={"error": "unauthorized_client"})
        found = self.tokens.get(_one(params, "token"))
        if found is not None and found.client_id == app["client_id"]:
            found.revoked = True
        return 200, {}, {}

    # Accounts.

    def _verify_credentials(self, token, path_params, params, headers):
        return 200, {}, self._account_json(self.accounts[token.account_id])

    def _lookup(self, token, path_params, params, headers):
        acct = _one(params, "acct").lstrip("@")
        username, _, domain = acct.partition("@")
        for account in self.accounts.values():
            if account.username.lower() == username.lower() and domain in ("", self.domain):
                return 200, {}, self._account_json(account)
        raise StubError(404)

    def _followers(self, token, path_params, params, headers):
        account = self._account(path_params["id"])
        limit = int(_one(params, "limit", "40"))
        # Newest follower first; a page ends at max_id (exclusive), as Mastodon pages by follow id.
        followers = list(reversed(account.followers))
        max_id = _one(params, "max_id", "")
        if max_id:
            followers = followers[[f for f in followers].index(max_id) + 1 :] if max_id in followers else []
        page = followers[:limit]
        extra = {}
        if len(followers) > limit:
            query = urlencode({"limit": limit, "max_id": page[-1]})
            extra["Link"] = f'<{self.base_url}/api/v1/accounts/{account.id}/followers?{query}>; rel="next"'
        return 200, extra, [self._account_json(self.accounts[f]) for f in page]

    def _relationship(self, route, token, path_params):
        target = self._account(path_params["id"])
        me = self.accounts[token.account_id]
        action = route.rsplit("/", 1)[1]
        if action == "mute":
            me.mutes.add(target.id)
        elif action == "unmute":
            me.mutes.discard(target.id)
        elif action == "block":
            me.blocks.add(target.id)
            me.following.discard(target.id)
            if target.id in me.followers:
                me.followers.remove(target.id)
        elif action == "unblock":
            me.blocks.discard(target.id)
        elif action == "follow":
            me.following.add(target.id)
        elif action == "unfollow":
            me.following.discard(target.id)
        elif action == "remove_from_followers" and target.id in me.followers:
            me.followers.remove(target.id)
        return (
            200,
            {},
            {
                "id": target.id,
                "following": target.id in me.following,
                "followed_by": target.id in me.followers,
                "blocking": target.id in me.blocks,
                "muting": target.id in me.mutes,
            },
        )

    def _report(self, token, path_params, params, headers):
        target = self._account(_one(params, "account_id"))
        status_ids = params.get("status_ids[]", [])
        for status_id in status_ids:
            status = self.statuses.get(status_id)
            if status is None or status["account_id"] != target.id:
                raise StubError(422, "Validation failed: Status ids are not from the reported account")
        report = {
            "id": str(len(self.reports) + 1),
            "reporter_id": token.account_id,
            "target_id": target.id,
            "status_ids": status_ids,
            "comment": _one(params, "comment", ""),
            "forward": _one(params, "forward", "0") in ("1", "true"),
            "category": _one(params, "category", "other"),
        }
        self.reports.append(report)
        return 200, {}, {**report, "action_taken": False, "target_account": self._account_json(target)}

    # Statuses.

    def _create_status(self, token, path_params, params, headers):
        me = self.accounts[token.account_id]
        key = headers.get("idempotency-key")
        if key and (me.id, key) in self.idempotency:
            return 200, {}, self._status_json(self.statuses[self.idempotency[(me.id, key)]])
        text = _one(params, "status", "")
        media_ids = params.get("media_ids[]", [])
        if not text and not media_ids:
            raise StubError(422, "Validation failed: Text can't be blank")
        if status_length(text, self.url_length) > self.max_characters:
            raise StubError(422, f"Validation failed: Text character limit of {self.max_characters} exceeded")
        if len(media_ids) > self.max_images:
            raise StubError(422, f"Validation failed: Media attachments exceed the limit of {self.max_images}")
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["account_id"] != me.id or media["attached"]:
                raise StubError(422, "Validation failed: Media ids are invalid")
            if media["polls_left"] > 0:
                raise StubError(422, "Cannot attach files that have not finished processing. Try again in a moment!")
        status = self.add_status(me, text, in_reply_to_id=_one(params, "in_reply_to_id", None))
        status["media_ids"] = media_ids
        status["visibility"] = _one(params, "visibility", "public")
        for media_id in media_ids:
            self.media[media_id]["attached"] = True
        # A direct status (a private message) reaches the accounts on this server it mentions.
        mentioned_names = (
            re.findall(r"(?<![\w@])@([A-Za-z0-9_]+)(?![\w@])", text) if status["visibility"] == "direct" else []
        )
        for username in mentioned_names:
            mentioned = next((a for a in self.accounts.values() if a.username.lower() == username.lower()), None)
            if mentioned is not None and mentioned.id != me.id:
                self._notify(mentioned, me, status)
        if key:
            self.idempotency[(me.id, key)] = status["id"]
        return 200, {}, self._status_json(status)

    def _get_status(self, token, path_params, params, headers):
        status = self.statuses.get(path_params["id"])
        if status is None or status["deleted"]:
            raise StubError(404)
        return 200, {}, self._status_json(status, viewer_id=token.account_id if token else None)

    def _boost_of(self, account_id: str, status_id: str) -> dict | None:
        return next(
            (
                s
                for s in self.statuses.values()
                if s["account_id"] == account_id and s.get("reblog_of") == status_id and not s["deleted"]
            ),
            None,
        )

    def _reblog(self, token, path_params, params, headers):
        """A boost is a status of the account's own wrapping the boosted one; a repeat returns it."""
        original = self.statuses.get(path_params["id"])
        if original is None or original["deleted"]:
            raise StubError(404)
        boost = self._boost_of(token.account_id, original["id"])
        if boost is None:
            boost = self.add_status(self.accounts[token.account_id], "")
            boost["reblog_of"] = original["id"]
        return 200, {}, self._status_json(boost, viewer_id=token.account_id)

    def _unreblog(self, token, path_params, params, headers):
        original = self.statuses.get(path_params["id"])
        if original is None or original["deleted"]:
            raise StubError(404)
        boost = self._boost_of(token.account_id, original["id"])
        if boost is not None:
            boost["deleted"] = True
        return 200, {}, self._status_json(original, viewer_id=token.account_id)

    def _search(self, token, path_params, params, headers):
        """Statuses found by address: this server's own, or one "fetched" from another server
        (a status added with `remote_url`, as resolve=true does over ActivityPub)."""
        query = _one(params, "q", "")
        found = [
            s
            for s in self.statuses.values()
            if not s["deleted"]
            and query in (s.get("remote_url"), f"{self.base_url}/@{self.accounts[s['account_id']].username}/{s['id']}")
        ]
        statuses = [self._status_json(s, viewer_id=token.account_id) for s in found[:1]]
        return 200, {}, {"accounts": [], "statuses": statuses, "hashtags": []}

    def _delete_status(self, token, path_params, params, headers):
        status = self.statuses.get(path_params["id"])
        if status is None or status["deleted"] or status["account_id"] != token.account_id:
            raise StubError(404)
        status["deleted"] = True
        return 200, {}, {**self._status_json(status), "text": status["text"]}

    def _account_statuses(self, token, path_params, params, headers):
        account = self._account(path_params["id"])
        limit = int(_one(params, "limit", "20"))
        newest_first = sorted(self.statuses_by(account), key=lambda s: int(s["id"]), reverse=True)
        if _one(params, "exclude_reblogs", "false") in ("true", "1"):
            newest_first = [s for s in newest_first if not s.get("reblog_of")]
        return 200, {}, [self._status_json(s) for s in newest_first[:limit]]

    # Media.

    def _upload(self, token, path_params, params, headers):
        data = params["file"][0]
        if len(data) > self.image_size_limit:
            raise StubError(422, "Validation failed: File file size must be less than 16 MB")
        if not data.startswith(b"\xff\xd8"):
            raise StubError(422, "Validation failed: File has contents that are not what they are reported to be")
        media_id = str(next(self._ids))
        self.media[media_id] = {
            "id": media_id,
            "account_id": token.account_id,
            "description": _one(params, "description", None),
            "bytes": len(data),
            "polls_left": self.media_processing_polls,
            "attached": False,
        }
        media = self.media[media_id]
        return (202 if media["polls_left"] else 200), {}, self._media_json(media)

    def _get_media(self, token, path_params, params, headers):
        media = self.media.get(path_params["id"])
        if media is None or media["account_id"] != token.account_id:
            raise StubError(404)
        media["polls_left"] = max(0, media["polls_left"] - 1)
        return (206 if media["polls_left"] else 200), {}, self._media_json(media)

    # Notifications.

    def _notifications(self, token, path_params, params, headers):
        types = set(params.get("types[]", [])) or set(NOTIFICATION_TYPES)
        mine = [n for n in self.notifications if n["account_id"] == token.account_id and n["type"] in types]
        mine.sort(key=lambda n: int(n["id"]))
        limit = int(_one(params, "limit", "40"))
        since, min_id, max_id = (_one(params, name, "") for name in ("since_id", "min_id", "max_id"))
        if max_id:
            mine = [n for n in mine if int(n["id"]) < int(max_id)]
        if since:
            mine = [n for n in mine if int(n["id"]) > int(since)]
        if min_id:
            mine = [n for n in mine if int(n["id"]) > int(min_id)][:limit]  # the oldest after min_id
        page = list(reversed(mine))[:limit]  # newest first, as Mastodon answers
        extra = {}
        if page and len(mine) > limit and not min_id:
            query = urlencode({"limit": limit, "max_id": page[-1]["id"], "types[]": "mention"})
            extra["Link"] = f'<{self.base_url}/api/v1/notifications?{query}>; rel="next"'
        return 200, extra, [self._notification_json(n) for n in page]

    # JSON, as Mastodon's entities (docs.joinmastodon.org/entities/).

    def _account(self, account_id: str) -> StubAccount:
        account = self.accounts.get(account_id)
        if account is None:
            raise StubError(404)
        return account

    def _account_json(self, account: StubAccount) -> dict:
        return {
            "id": account.id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.display_name,
            "note": f"<p>{html.escape(account.note)}</p>" if account.note else "",
            "url": f"{self.base_url}/@{account.username}",
            "created_at": account.created_at,
            "followers_count": len(account.followers),
            "following_count": len(account.following),
            "statuses_count": len(self.statuses_by(account)),
            "locked": account.locked,
            "bot": False,
        }

    def _status_json(self, status: dict, viewer_id: str | None = None) -> dict:
        author = self.accounts[status["account_id"]]
        paragraphs = "".join(
            f"<p>{html.escape(p).replace(chr(10), '<br />')}</p>" for p in status["text"].split("\n\n") if p
        )
        return {
            "id": status["id"],
            "created_at": status["created_at"],
            "in_reply_to_id": status["in_reply_to_id"],
            "visibility": status["visibility"],
            "url": f"{self.base_url}/@{author.username}/{status['id']}",
            "uri": f"{self.base_url}/users/{author.username}/statuses/{status['id']}",
            "content": paragraphs,
            "account": self._account_json(author),
            "media_attachments": [self._media_json(self.media[m]) for m in status["media_ids"] if m in self.media],
            "mentions": [],
            "tags": [],
            "reblog": self._status_json(self.statuses[status["reblog_of"]], viewer_id)
            if status.get("reblog_of")
            else None,
            "reblogged": viewer_id is not None and self._boost_of(viewer_id, status["id"]) is not None,
        }

    def _media_json(self, media: dict) -> dict:
        ready = media["polls_left"] == 0
        return {
            "id": media["id"],
            "type": "image",
            "url": f"{self.base_url}/media/{media['id']}.jpg" if ready else None,
            "preview_url": f"{self.base_url}/media/{media['id']}_small.jpg",
            "description": media["description"],
        }

    def _notification_json(self, notification: dict) -> dict:
        return {
            "id": notification["id"],
            "type": notification["type"],
            "created_at": notification["created_at"],
            "account": self._account_json(self.accounts[notification["from_id"]]),
            "status": self._status_json(self.statuses[notification["status_id"]]),
        }


def _one(params: dict, name: str, default: Any = "") -> Any:
    values = params.get(name)
    return values[-1] if values else default


def _params(method: str, query: str, content_type: str, body: bytes) -> dict[str, list[Any]]:
    """Parameters as Mastodon reads them: the query string, and a form body (urlencoded or multipart)."""
    params = parse_qs(query, keep_blank_values=True)
    media_type = content_type.split(";")[0].strip().lower()
    if not body:
        return params
    if media_type == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode(), keep_blank_values=True):
            params.setdefault(name, []).append(value)
    elif media_type == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            value = payload if part.get_filename() else payload.decode()
            params.setdefault(name, []).append(value)
    elif media_type == "application/json":
        for name, value in json.loads(body).items():
            params.setdefault(name, []).extend(value if isinstance(value, list) else [str(value)])
    return params


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def free_port_refused() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def mastodon_stub(settings):
    stub = MastodonStub()
    stub.start()
    settings.MASTODON_ALLOW_PRIVATE_SERVERS = True
    try:
        yield stub
    finally:
        stub.stop()
    if stub.violations and not stub.violations_expected:
        pytest.fail("Requests that do not match Mastodon's API documentation:\n" + "\n".join(stub.violations))
