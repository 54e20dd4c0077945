"""A stub X API server for tests: real HTTP on 127.0.0.1, every request checked against X's
published OpenAPI description (../shared/x-api/openapi.json), in-memory accounts and posts, and
faults on demand. The adapter under test runs unchanged (real tweepy, real requests).

Use the `x_stub` fixture (registered for the whole suite in tests/conftest.py). It starts a server,
points settings X_API_BASE_URL / X_UPLOAD_BASE_URL / X_AUTHORIZE_URL and the app's client and
consumer keys at it, and fails the test at teardown if any request did not match the description.

    user = x_stub.add_user("alpha_school")              # an X account (StubUser)
    creds = x_stub.oauth2_credentials(user)             # SocialAccount.credentials for it
    creds = x_stub.oauth1_credentials(user)             # the OAuth 1.0a alternative
    x_stub.add_follower(user, x_stub.add_user("fan"))   # seed followers and mentions
    x_stub.add_mention(user, author, "Hello @alpha_school")
    x_stub.posts_by(user)                               # live posts, oldest first (dicts)
    x_stub.add_post(author, "See https://t.co/x1", links={"https://t.co/x1": "https://example.org/"})
                                                        # someone's post (GET /2/tweets/{id} reads it)

Faults (each applies to the next matching request only; a route is "METHOD /path/template" as in
the description, e.g. "POST /2/tweets", "DELETE /2/tweets/{id}"):

    x_stub.fail_next(route, status=503, headers=None, body=None, apply=False)
        answer with that status (and X's error body for it unless `body` is given); with
        apply=True the request takes effect first (a post IS created, then the error comes back).
    x_stub.rate_limit_next(route, reset_in=120, usage_cap=False)   a 429 with x-rate-limit-reset
    x_stub.duplicate_next()           X's real 403 for duplicate content on the next POST /2/tweets
                                      (the stub also refuses a live post's exact text by itself)
    x_stub.expire_token(token)        that access token stops working (401)
    x_stub.delay_next(route, seconds, apply=True)   "timeout after send": takes effect, answers late
    hold = x_stub.hold_next(route)    takes effect, then waits for `hold.release()` before answering;
                                      `hold.reached.wait(t)` says the request arrived
    x_stub.use_tier("enterprise")     the app's access tier, here and in settings.X_API_TIER

Private messages (paid tiers only, as on X; the free tier gets X's "client-forbidden" 403):
    x_stub.add_direct_message(sender, recipient, "Hello")   a message event between two users
    x_stub.direct_messages_to(user)                         the message events sent to `user` (dicts)

OAuth 2.0 (outside the description, like X): GET /i/oauth2/authorize approves at once as
`x_stub.authorize_as` (default: the first user added) and redirects with `code` and the same
`state`; POST /2/oauth2/token takes authorization_code (PKCE S256 checked) or refresh_token (each
refresh token works once); POST /2/oauth2/revoke. The app is confidential (`client_id` /
`client_secret`, HTTP Basic); set `x_stub.client_secret = ""` and settings.X_CLIENT_SECRET = "" for
a public client that sends only `client_id`.

Inspection: `x_stub.requests` (RecordedRequest: method, path, query, headers, body, route),
`x_stub.requests_to(route)`, `x_stub.violations` (strings). A test that sends a bad request on
purpose sets `x_stub.violations_expected = True`. `x_stub.env()` gives the environment variables
that point a separate worker process at the same stub (it serves while the test thread sleeps).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from oauthlib.oauth1.rfc5849 import signature as oauth1_signature
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.stub_http import Hold
from tests.stub_http import JSONHandler as _Handler

SPEC_URI = "urn:x-api-openapi"
ALL_SCOPES = (
    "tweet.read tweet.write tweet.moderate.write users.read media.write follows.read follows.write "
    "mute.read mute.write block.read block.write dm.read dm.write offline.access"
)
DUPLICATE_BODY = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
USAGE_CAP_BODY = {
    "title": "UsageCapExceeded",
    "period": "Monthly",
    "scope": "Product",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
}
CLIENT_FORBIDDEN_BODY = {
    "title": "Client Forbidden",
    "detail": "This request must be made using an approved developer account that is enrolled in the requested "
    "endpoint.",
    "reason": "client-not-enrolled",
    "required_enrollment": "Appropriate Level of API Access",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}
# The description names the Post fields parameter `post.fields`; the live API, X's own docs and tweepy
# use `tweet.fields`. Both are accepted and checked against the same list of fields.
QUERY_ALIASES = {"tweet.fields": "post.fields"}

# Endpoints the stub serves that the published description does not contain, with the checks the
# stub makes itself. OAuth 2.0 lives on X's web host and token endpoints outside the v2 document;
# blocking is Enterprise-only and absent from the public description.
_TARGET_BODY = {
    "type": "object",
    "required": ["target_user_id"],
    "properties": {"target_user_id": {"type": "string", "pattern": "^[0-9]{1,19}$"}},
    "additionalProperties": False,
}
EXTRA_ROUTES = {
    ("GET", "/i/oauth2/authorize"): None,
    ("POST", "/2/oauth2/token"): None,
    ("POST", "/2/oauth2/revoke"): None,
    ("POST", "/2/users/{id}/blocking"): _TARGET_BODY,
    ("DELETE", "/2/users/{source_user_id}/blocking/{target_user_id}"): None,
}


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra) -> dict:
    return {"title": title, "detail": detail, "type": type_, "status": status, **extra}


DEFAULT_BODIES = {
    400: problem(400, "Invalid Request", "One or more parameters to your request was invalid."),
    401: problem(401, "Unauthorized", "Unauthorized"),
    403: problem(403, "Forbidden", "Forbidden"),
    404: problem(404, "Not Found Error", "Could not find the requested resource."),
    429: problem(429, "Too Many Requests", "Too Many Requests"),
    500: problem(500, "Internal Server Error", "Internal Server Error"),
    503: problem(503, "Service Unavailable", "Service Unavailable"),
}


# The published description, compiled once per test run.


@dataclass
class Operation:
    method: str
    template: str
    regex: re.Pattern
    op: dict


class ApiDescription:
    def __init__(self, path: Path):
        self.doc = json.loads(path.read_text())
        _allow_nullable(self.doc)
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(self.doc, DRAFT4))
        self.format_checker = FormatChecker()
        self.format_checker.checks("byte", raises=(binascii.Error, ValueError))(_is_base64)
        self.operations: list[Operation] = []
        for template, item in self.doc["paths"].items():
            for method, op in item.items():
                if method in {"get", "post", "put", "delete", "patch"}:
                    self.operations.append(Operation(method.upper(), template, _template_regex(template), op))
        # Literal segments win over parameters (/2/users/me before /2/users/{id}).
        self.operations.sort(key=lambda o: o.template.count("{"))
        self._validators: dict[str, Draft4Validator] = {}

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """The operation for this request, its path parameters, and whether the path exists at all."""
        path_known = False
        for operation in self.operations:
            found = operation.regex.fullmatch(path)
            if found:
                path_known = True
                if operation.method == method:
                    return operation, found.groupdict(), True
        return None, {}, path_known

    def validator(self, pointer: str) -> Draft4Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft4Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry, format_checker=self.format_checker
            )
        return self._validators[pointer]

    def errors(self, pointer: str, value: Any) -> list[str]:
        return [_describe(e) for e in self.validator(pointer).iter_errors(value)]

    def parameters(self, operation: Operation) -> list[tuple[dict, str]]:
        """Each declared parameter with the JSON pointer of its schema."""
        base = f"/paths/{_escape(operation.template)}/{operation.method.lower()}/parameters"
        result = []
        for index, param in enumerate(operation.op.get("parameters", [])):
            if "$ref" in param:
                name = param["$ref"].rsplit("/", 1)[1]
                result.append((self.doc["components"]["parameters"][name], f"/components/parameters/{name}/schema"))
            else:
                result.append((param, f"{base}/{index}/schema"))
        return result

    def check(self, method: str, path: str, query: dict[str, list[str]], content_type: str, body: bytes) -> list[str]:
        """Everything wrong with a request according to the description (empty when it matches)."""
        operation, path_params, path_known = self.match(method, path)
        if operation is None:
            return [f"{method} {path}: " + ("method not allowed on this path" if path_known else "unknown path")]
        problems: list[str] = []
        route = f"{method} {operation.template}"
        declared = {}
        for param, pointer in self.parameters(operation):
            declared[(param["in"], param["name"])] = (param, pointer)
        for (where, name), (param, pointer) in declared.items():
            if where == "path":
                problems += [f"{route}: path {name}: {e}" for e in self.errors(pointer, path_params.get(name))]
            elif where == "query":
                raw = query.get(name)
                if raw is None:
                    raw = next((query[a] for a, n in QUERY_ALIASES.items() if n == name and a in query), None)
                if raw is None:
                    if param.get("required"):
                        problems.append(f"{route}: required query parameter {name} is missing")
                    continue
                value = _coerce(raw[-1], param.get("schema", {}), self.doc)
                problems += [f"{route}: query {name}: {e}" for e in self.errors(pointer, value)]
        for name in query:
            if ("query", QUERY_ALIASES.get(name, name)) not in declared:
                problems.append(f"{route}: query parameter {name} is not in the description")
        request_body = operation.op.get("requestBody")
        if request_body is None:
            if body:
                problems.append(f"{route}: takes no request body")
            return problems
        media_type = content_type.split(";")[0].strip().lower()
        if not body:
            if request_body.get("required"):
                problems.append(f"{route}: a request body is required")
            return problems
        if media_type not in request_body["content"]:
            return [*problems, f"{route}: content type {media_type or '(none)'} is not accepted"]
        if media_type != "application/json":
            return problems
        try:
            value = json.loads(body)
        except ValueError:
            return [*problems, f"{route}: the body is not JSON"]
        operation_pointer = f"/paths/{_escape(operation.template)}/{operation.method.lower()}"
        pointer = f"{operation_pointer}/requestBody/content/application~1json/schema"
        return problems + [f"{route}: body: {e}" for e in self.errors(pointer, value)]


def _escape(template: str) -> str:
    return quote(template.replace("~", "~0").replace("/", "~1"), safe="~")


def _template_regex(template: str) -> re.Pattern:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern)


def _describe(error) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where + ': ' if where else ''}{error.message}"


def _is_base64(value) -> bool:
    if not isinstance(value, str):
        return True
    base64.b64decode(value, validate=True)
    return True


def _coerce(raw: str, schema: dict, doc: dict) -> Any:
    """A query string value as the type its schema declares (form style, comma-separated arrays)."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    kind = schema.get("type")
    if kind == "array":
        return [_coerce(part, schema.get("items", {}), doc) for part in raw.split(",")]
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _allow_nullable(node) -> None:
    """OpenAPI 3.0's `nullable: true` as JSON Schema's type list."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for value in node.values():
            _allow_nullable(value)
    elif isinstance(node, list):
        for value in node:
            _allow_nullable(value)


@cache
def load_description(path: Path) -> ApiDescription:
    return ApiDescription(path)


def description_path() -> Path:
    from django.conf import settings

    return Path(settings.BASE_DIR).parent / "shared" / "x-api" / "openapi.json"


# In-memory X.


@dataclass
class StubUser:
    id: str
    username: str
    name: str
    description: str = ""
    created_at: str = "2019-09-01T08:00:00.000Z"
    followers: list[str] = field(default_factory=list)
    following: set[str] = field(default_factory=set)
    mutes: set[str] = field(default_factory=set)
    blocks: set[str] = field(default_factory=set)
    hidden_replies: set[str] = field(default_factory=set)
    protected: bool = False

    def as_json(self, fields: set[str], stub: XStub) -> dict:
        data = {"id": self.id, "username": self.username, "name": self.name}
        if "description" in fields:
            data["description"] = self.description
        if "created_at" in fields:
            data["created_at"] = self.created_at
        if "protected" in fields:
            data["protected"] = self.protected
        if "public_metrics" in fields:
            data["public_metrics"] = {
                "followers_count": len(self.followers),
                "following_count": len(self.following),
                "tweet_count": len(stub.posts_by(self)),
                "listed_count": 0,
                "like_count": 0,
            }
        return data


@dataclass
class AccessToken:
    user_id: str
    scope: str
    expires_at: float
    revoked: bool = False


@dataclass
class Fault:
    route: str
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    apply: bool = False
    delay: float = 0.0
    hold: Hold | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    route: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class StubError(Exception):
    def __init__(self, status: int, body: dict | None = None, headers: dict | None = None):
        self.status = status
        self.body = body if body is not None else DEFAULT_BODIES.get(status, problem(status, "Error", "Error"))
        self.headers = headers or {}


class XStub:
    HOLD_LIMIT_SECONDS = 120

    def __init__(self, description: ApiDescription):
        self.description = description
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.violations_expected = False
        self.tier = "free"
        self.client_id = "stub-client-id"
        self.client_secret = "stub-client-secret"
        self.consumer_key = "stub-consumer-key"
        self.consumer_secret = "stub-consumer-secret"
        self.users: dict[str, StubUser] = {}
        # Whom GET /i/oauth2/authorize signs in as (default: the first user added).
        self.authorize_as: StubUser | None = None
        self.posts: dict[str, dict] = {}
        self.media: dict[str, dict] = {}
        self.dm_events: list[dict] = []
        self.tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, AccessToken] = {}
        self.oauth1_tokens: dict[str, tuple[str, str]] = {}
        self.codes: dict[str, dict] = {}
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._ids = itertools.count(1_860_000_000_000_000_001)
        self._user_ids = itertools.count(1_500_000_001)
        self._server: ThreadingHTTPServer | None = None
        self._settings = None

    # Lifecycle.

    def start(self) -> None:
        stub = self

        class Handler(_Handler):
            pass

        Handler.stub = stub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="x-stub", daemon=True
        ).start()

    def stop(self) -> None:
        for hold in self._holds:
            hold.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        return {
            "X_API_BASE_URL": self.base_url,
            "X_UPLOAD_BASE_URL": self.base_url,
            "X_AUTHORIZE_URL": self.base_url + "/i/oauth2/authorize",
            "X_CLIENT_ID": self.client_id,
            "X_CLIENT_SECRET": self.client_secret,
            "X_CONSUMER_KEY": self.consumer_key,
            "X_CONSUMER_SECRET": self.consumer_secret,
            "X_API_TIER": self.tier,
        }

    def use_tier(self, tier: str) -> None:
        self.tier = tier
        if self._settings is not None:
            self._settings.X_API_TIER = tier

    # Seeding.

    def add_user(self, username: str, name: str = "", description: str = "", created_at: str = "") -> StubUser:
        with self.lock:
            user = StubUser(
                id=str(next(self._user_ids)),
                username=username,
                name=name or username.replace("_", " ").title(),
                description=description,
            )
            if created_at:
                user.created_at = created_at
            self.users[user.id] = user
            return user

    def issue_token(self, user: StubUser, *, scope: str = ALL_SCOPES, expires_in: int = 7200) -> dict:
        """X's token response for a new OAuth 2.0 grant to this user."""
        with self.lock:
            access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
            token = AccessToken(user.id, scope, time.time() + expires_in)
            self.tokens[access] = token
            if "offline.access" in scope.split():
                self.refresh_tokens[refresh] = token
            response = {"token_type": "bearer", "expires_in": expires_in, "access_token": access, "scope": scope}
            if "offline.access" in scope.split():
                response["refresh_token"] = refresh
            return response

    def oauth2_credentials(self, user: StubUser, **token_options) -> dict:
        issued = self.issue_token(user, **token_options)
        return {
            "auth": "oauth2",
            "access_token": issued["access_token"],
            "refresh_token": issued.get("refresh_token", ""),
            "expires_at": time.time() + issued["expires_in"],
            "scope": issued["scope"],
            "user_id": user.id,
            "username": user.username,
        }

    def oauth1_credentials(self, user: StubUser) -> dict:
        with self.lock:
            token, secret = f"{user.id}-{secrets.token_urlsafe(16)}", secrets.token_urlsafe(24)
            self.oauth1_tokens[token] = (secret, user.id)
        return {
            "auth": "oauth1",
            "access_token": token,
            "access_token_secret": secret,
            "user_id": user.id,
            "username": user.username,
        }

    def add_follower(self, user: StubUser, follower: StubUser) -> None:
        with self.lock:
            user.followers.insert(0, follower.id)

    def add_post(
        self,
        author: StubUser,
        text: str,
        *,
        reply_to: str | None = None,
        quote_of: str | None = None,
        links: dict[str, str] | None = None,
    ) -> dict:
        """A post by `author`; `links` maps each t.co address in `text` to the address it stands for."""
        with self.lock:
            post_id = str(next(self._ids))
            parent = self.posts.get(reply_to) if reply_to else None
            post = {
                "id": post_id,
                "author_id": author.id,
                "text": text,
                "created_at": _now_iso(),
                "media_ids": [],
                "quote_of": quote_of,
                "reply_to": reply_to,
                "conversation_id": parent["conversation_id"] if parent else post_id,
                "deleted": False,
                "links": [
                    {"start": at, "end": at + len(short), "url": short, "expanded_url": full}
                    for short, full in (links or {}).items()
                    for at in [text.index(short)]
                ],
            }
            self.posts[post_id] = post
            return post

    def add_mention(self, user: StubUser, author: StubUser, text: str, *, reply_to: str | None = None) -> dict:
        if f"@{user.username}".lower() not in text.lower():
            text = f"@{user.username} {text}"
        return self.add_post(author, text, reply_to=reply_to)

    def add_direct_message(self, sender: StubUser, recipient: StubUser, text: str) -> dict:
        with self.lock:
            pair = sorted([int(sender.id), int(recipient.id)])
            event = {
                "id": str(next(self._ids)),
                "event_type": "MessageCreate",
                "text": text,
                "sender_id": sender.id,
                "recipient_id": recipient.id,
                "dm_conversation_id": f"{pair[0]}-{pair[1]}",
                "created_at": _now_iso(),
            }
            self.dm_events.append(event)
            return event

    def direct_messages_to(self, user: StubUser) -> list[dict]:
        with self.lock:
            return [event for event in self.dm_events if event["recipient_id"] == user.id]

    def posts_by(self, user: StubUser) -> list[dict]:
        with self.lock:
            return [p for p in self.posts.values() if p["author_id"] == user.id and not p["deleted"]]

    # Faults.

    def fail_next(self, route: str, status: int, headers: dict | None = None, body: dict | None = None, apply=False):
        self._add_fault(Fault(route, status=status, headers=headers or {}, body=body, apply=apply))

    def rate_limit_next(self, route: str, reset_in: int = 120, usage_cap: bool = False) -> int:
        reset = int(time.time()) + reset_in
        headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
        self.fail_next(route, 429, headers=headers, body=USAGE_CAP_BODY if usage_cap else None)
        return reset

    def duplicate_next(self) -> None:
        self.fail_next("POST /2/tweets", 403, body=DUPLICATE_BODY)

    def delay_next(self, route: str, seconds: float, apply: bool = True) -> None:
        self._add_fault(Fault(route, apply=apply, delay=seconds))

    def hold_next(self, route: str) -> Hold:
        hold = Hold()
        self._holds.append(hold)
        self._add_fault(Fault(route, apply=True, hold=hold))
        return hold

    def expire_token(self, access_token: str) -> None:
        with self.lock:
            self.tokens[access_token].expires_at = time.time() - 1

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
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        content_type = headers.get("content-type", "")
        extra = next(((m, t) for (m, t) in EXTRA_ROUTES if m == method and _template_regex(t).fullmatch(path)), None)
        if extra:
            route, params = f"{extra[0]} {extra[1]}", _template_regex(extra[1]).fullmatch(path).groupdict()
            problems = self._check_extra(extra, params, content_type, body)
        else:
            operation, params, _ = self.description.match(method, path)
            route = f"{method} {operation.template}" if operation else f"{method} {path}"
            problems = self.description.check(method, path, query, content_type, body)
        with self.lock:
            self.requests.append(RecordedRequest(method, path, query, headers, body, route))
            self.violations.extend(problems)
        if problems:
            errors = [{"message": p} for p in problems]
            return 400, {}, {**DEFAULT_BODIES[400], "errors": errors}
        try:
            if route in {"GET /i/oauth2/authorize", "POST /2/oauth2/token", "POST /2/oauth2/revoke"}:
                fault = self._take_fault(route)
                if fault and fault.status:
                    raise StubError(fault.status, fault.body, fault.headers)
                return self._oauth(route, query, headers, body)
            user = self._authenticate(method, url, headers, route)
            fault = self._take_fault(route)
            if fault and fault.status and not fault.apply:
                raise StubError(fault.status, fault.body, fault.headers)
            payload = json.loads(body) if body and content_type.startswith("application/json") else None
            status, result = self._dispatch(route, user, params, query, payload)
            if fault:
                if fault.hold:
                    fault.hold.reached.set()
                    fault.hold.wait_released(self.HOLD_LIMIT_SECONDS)
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.status:
                    raise StubError(fault.status, fault.body, fault.headers)
            return status, {}, result
        except StubError as exc:
            return exc.status, exc.headers, exc.body
        except Exception as exc:  # a fault in the stub itself must fail the test, not hang it
            with self.lock:
                self.violations.append(f"{route}: the stub failed: {exc!r}")
            return 500, {}, DEFAULT_BODIES[500]

    def _check_extra(self, extra, params, content_type, body) -> list[str]:
        method, template = extra
        schema = EXTRA_ROUTES[extra]
        problems = [
            f"{method} {template}: path {name}: not a numeric id"
            for name, value in params.items()
            if not re.fullmatch(r"[0-9]{1,19}", value)
        ]
        if schema is not None:
            try:
                value = json.loads(body)
            except ValueError:
                return [*problems, f"{method} {template}: the body is not JSON"]
            problems += [
                f"{method} {template}: body: {_describe(e)}" for e in Draft4Validator(schema).iter_errors(value)
            ]
        return problems

    def _authenticate(self, method: str, url: str, headers: dict[str, str], route: str) -> StubUser:
        authorization = headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            with self.lock:
                token = self.tokens.get(authorization[7:])
                if token is None or token.revoked or token.expires_at < time.time():
                    raise StubError(401)
                self._check_scopes(route, token.scope)
                return self.users[token.user_id]
        if authorization.startswith("OAuth "):
            return self._oauth1_user(method, url, headers)
        raise StubError(401)

    def _check_scopes(self, route: str, scope: str) -> None:
        method, template = route.split(" ", 1)
        if (method, template) in EXTRA_ROUTES:
            needed = {"block.write"} if "blocking" in template else set()
        else:
            operation = self.description.doc["paths"][template][method.lower()]
            needed = set()
            for requirement in operation.get("security", []):
                if "OAuth2UserToken" in requirement:
                    needed = set(requirement["OAuth2UserToken"])
        missing = needed - set(scope.split())
        if missing:
            raise StubError(403, problem(403, "Forbidden", f"Missing scopes: {', '.join(sorted(missing))}"))

    def _oauth1_user(self, method: str, url: str, headers: dict[str, str]) -> StubUser:
        params = dict(
            oauth1_signature.collect_parameters(
                headers={"Authorization": headers["authorization"]}, exclude_oauth_signature=False
            )
        )
        if params.get("oauth_consumer_key") != self.consumer_key:
            raise StubError(401)
        with self.lock:
            secret, user_id = self.oauth1_tokens.get(params.get("oauth_token", ""), (None, None))
        if secret is None:
            raise StubError(401)
        parts = urlsplit(url)
        host = headers.get("host", "")
        uri = f"http://{host}{parts.path}"
        collected = oauth1_signature.collect_parameters(
            uri_query=parts.query, headers={"Authorization": headers["authorization"]}, exclude_oauth_signature=True
        )
        base_string = oauth1_signature.signature_base_string(
            method, oauth1_signature.base_string_uri(uri), oauth1_signature.normalize_parameters(collected)
        )
        signer = SimpleNamespace(client_secret=self.consumer_secret, resource_owner_secret=secret)
        expected = oauth1_signature.sign_hmac_sha1_with_client(base_string, signer)
        if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
            raise StubError(401)
        return self.users[user_id]

    def _dispatch(self, route, user, params, query, payload) -> tuple[int, dict]:
        handlers = {
            "POST /2/tweets": self._create_post,
            "DELETE /2/tweets/{id}": self._delete_post,
            "GET /2/tweets/{id}": self._get_post,
            "GET /2/users/me": self._me,
            "GET /2/users/{id}/tweets": self._user_posts,
            "GET /2/users/{id}/mentions": self._mentions,
            "GET /2/users/{id}/followers": self._followers,
            "POST /2/users/{id}/muting": self._mute,
            "DELETE /2/users/{source_user_id}/muting/{target_user_id}": self._unmute,
            "POST /2/users/{id}/blocking": self._block,
            "DELETE /2/users/{source_user_id}/blocking/{target_user_id}": self._unblock,
            "POST /2/users/{id}/following": self._follow,
            "DELETE /2/users/{source_user_id}/following/{target_user_id}": self._unfollow,
            "PUT /2/tweets/{tweet_id}/hidden": self._hide,
            "POST /2/users/{id}/retweets": self._repost,
            "DELETE /2/users/{id}/retweets/{source_tweet_id}": self._unrepost,
            "GET /2/users/by/username/{username}": self._user_by_username,
            "POST /2/media/upload": self._upload,
            "POST /2/media/metadata": self._metadata,
            "POST /2/dm_conversations/with/{participant_id}/messages": self._send_direct_message,
            "GET /2/dm_events": self._direct_message_events,
        }
        if route not in handlers:
            raise StubError(404, problem(404, "Not Found Error", f"The stub does not serve {route}."))
        with self.lock:
            return handlers[route](user, params, query, payload)

    def _own(self, user: StubUser, user_id: str) -> None:
        if user_id != user.id:
            raise StubError(403, problem(403, "Forbidden", "You are not permitted to act for another user."))

    def _create_post(self, user, params, query, payload):
        text = payload.get("text", "")
        media_ids = (payload.get("media") or {}).get("media_ids", [])
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["owner_id"] != user.id:
                raise StubError(400, problem(400, "Invalid Request", f"Your media IDs are invalid: {media_id}"))
        if not text and not media_ids:
            raise StubError(400, problem(400, "Invalid Request", "Your post needs text or media."))
        if text and any(p["text"] == text for p in self.posts_by(user)):
            raise StubError(403, DUPLICATE_BODY)
        for key, label in (("quote_tweet_id", "quoted"), ("reply", "replied-to")):
            target = payload.get(key)
            target = target.get("in_reply_to_tweet_id") if isinstance(target, dict) else target
            if target and (target not in self.posts or self.posts[target]["deleted"]):
                raise StubError(400, problem(400, "Invalid Request", f"The {label} post does not exist."))
        post = self.add_post(
            user,
            text,
            reply_to=(payload.get("reply") or {}).get("in_reply_to_tweet_id"),
            quote_of=payload.get("quote_tweet_id"),
        )
        post["media_ids"] = list(media_ids)
        return 201, {"data": {"id": post["id"], "text": text, "edit_history_tweet_ids": [post["id"]]}}

    def _delete_post(self, user, params, query, payload):
        post = self.posts.get(params["id"])
        if post is None or post["deleted"]:
            raise StubError(404, problem(404, "Not Found Error", f"Could not find post with id: [{params['id']}]."))
        self._own(user, post["author_id"])
        post["deleted"] = True
        return 200, {"data": {"deleted": True}}

    def _get_post(self, user, params, query, payload):
        """One post, as X shows it: a post it does not have is a 200 with an error list, not a 404."""
        post = self.posts.get(params["id"])
        if post is None or post["deleted"]:
            return 200, {
                "errors": [
                    {
                        "value": params["id"],
                        "detail": f"Could not find tweet with id: [{params['id']}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "id",
                        "resource_id": params["id"],
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            }
        fields = _fields(query, "tweet.fields") | _fields(query, "post.fields")
        expansions = _fields(query, "expansions")
        item = {"id": post["id"], "text": post["text"], "edit_history_tweet_ids": [post["id"]]}
        if "created_at" in fields:
            item["created_at"] = post["created_at"]
        if "entities" in fields and post.get("links"):
            item["entities"] = {"urls": post["links"]}
        if "author_id" in expansions:
            item["author_id"] = post["author_id"]
        result: dict = {"data": item}
        if "author_id" in expansions:
            author = self.users[post["author_id"]]
            result["includes"] = {"users": [author.as_json(_fields(query, "user.fields"), self)]}
        if "attachments.media_keys" in expansions and post["media_ids"]:
            item["attachments"] = {"media_keys": [f"3_{media_id}" for media_id in post["media_ids"]]}
            media_fields = _fields(query, "media.fields")
            shown = []
            for media_id in post["media_ids"]:
                media = {"media_key": f"3_{media_id}", "type": "photo"}
                if "url" in media_fields:
                    media["url"] = f"https://pbs.twimg.com/media/{media_id}.jpg"
                if "alt_text" in media_fields and self.media.get(media_id, {}).get("alt_text"):
                    media["alt_text"] = self.media[media_id]["alt_text"]
                shown.append(media)
            result.setdefault("includes", {})["media"] = shown
        return 200, result

    def _repost(self, user, params, query, payload):
        """A repost is a post of the account's own that refers to the reposted one; X answers a
        repeat with the same repost."""
        self._own(user, params["id"])
        source = self.posts.get(payload["tweet_id"])
        if source is None or source["deleted"]:
            raise StubError(
                404, problem(404, "Not Found Error", f"Could not find post with id: [{payload['tweet_id']}].")
            )
        existing = self._repost_of(user, source["id"])
        if existing is None:
            author = self.users[source["author_id"]]
            existing = self.add_post(user, f"RT @{author.username}: {source['text']}"[:280])
            existing["repost_of"] = source["id"]
        return 200, {"data": {"retweeted": True, "rest_id": existing["id"]}}

    def _unrepost(self, user, params, query, payload):
        self._own(user, params["id"])
        existing = self._repost_of(user, params["source_tweet_id"])
        if existing is not None:
            existing["deleted"] = True
        return 200, {"data": {"retweeted": False}}

    def _repost_of(self, user: StubUser, source_id: str) -> dict | None:
        return next((p for p in self.posts_by(user) if p.get("repost_of") == source_id), None)

    def _me(self, user, params, query, payload):
        return 200, {"data": user.as_json(_fields(query, "user.fields"), self)}

    def _user_posts(self, user, params, query, payload):
        author = self.users.get(params["id"])
        if author is None:
            raise StubError(404)
        posts = sorted(self.posts_by(author), key=lambda p: int(p["id"]), reverse=True)
        return 200, self._post_page(posts, query)

    def _mentions(self, user, params, query, payload):
        target = self.users.get(params["id"])
        if target is None:
            raise StubError(404)
        handle = f"@{target.username}".lower()
        posts = sorted(
            (
                p
                for p in self.posts.values()
                if not p["deleted"] and handle in p["text"].lower() and p["author_id"] != target.id
            ),
            key=lambda p: int(p["id"]),
            reverse=True,
        )
        return 200, self._post_page(posts, query)

    def _post_page(self, posts: list[dict], query) -> dict:
        if "since_id" in query:
            posts = [p for p in posts if int(p["id"]) > int(query["since_id"][0])]
        if "until_id" in query:
            posts = [p for p in posts if int(p["id"]) < int(query["until_id"][0])]
        posts = posts[: int(query.get("max_results", ["10"])[0])]
        fields = _fields(query, "tweet.fields") | _fields(query, "post.fields")
        expansions = _fields(query, "expansions")
        data = []
        for post in posts:
            item = {"id": post["id"], "text": post["text"], "edit_history_tweet_ids": [post["id"]]}
            for name in ("created_at", "conversation_id"):
                if name in fields:
                    item[name] = post[name]
            if "author_id" in expansions or "author_id" in fields:
                item["author_id"] = post["author_id"]
            if post["reply_to"] and "referenced_tweets" in fields:
                item["referenced_tweets"] = [{"type": "replied_to", "id": post["reply_to"]}]
            if post.get("repost_of") and "referenced_posts" in expansions:
                item["referenced_posts"] = [{"type": "retweeted", "id": post["repost_of"]}]
            data.append(item)
        result: dict = {"meta": {"result_count": len(data)}}
        if data:
            result["data"] = data
            result["meta"].update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        if "author_id" in expansions and data:
            user_fields = _fields(query, "user.fields")
            authors = {p["author_id"] for p in posts}
            result["includes"] = {"users": [self.users[a].as_json(user_fields, self) for a in sorted(authors)]}
        return result

    def _followers(self, user, params, query, payload):
        target = self.users.get(params["id"])
        if target is None:
            raise StubError(404)
        start = int(query["pagination_token"][0]) if "pagination_token" in query else 0
        size = int(query.get("max_results", ["100"])[0])
        page = target.followers[start : start + size]
        user_fields = _fields(query, "user.fields")
        result: dict = {"meta": {"result_count": len(page)}}
        if page:
            result["data"] = [self.users[u].as_json(user_fields, self) for u in page]
        if start + size < len(target.followers):
            result["meta"]["next_token"] = f"{start + size:016d}"
        return 200, result

    def _target(self, payload) -> str:
        target = payload["target_user_id"]
        if target not in self.users:
            raise StubError(400, problem(400, "Invalid Request", f"The user {target} does not exist."))
        return target

    def _require_paid_tier(self) -> None:
        if self.tier == "free":
            raise StubError(403, CLIENT_FORBIDDEN_BODY)

    def _send_direct_message(self, user, params, query, payload):
        self._require_paid_tier()
        recipient = self.users.get(params["participant_id"])
        if recipient is None:
            raise StubError(400, problem(400, "Invalid Request", "The participant does not exist."))
        if not payload.get("text"):
            raise StubError(400, problem(400, "Invalid Request", "A message needs text or media."))
        event = self.add_direct_message(user, recipient, payload["text"])
        return 201, {"data": {"dm_conversation_id": event["dm_conversation_id"], "dm_event_id": event["id"]}}

    def _direct_message_events(self, user, params, query, payload):
        """The user's message events (sent and received), newest first, in pages."""
        self._require_paid_tier()
        events = sorted(
            (e for e in self.dm_events if user.id in (e["sender_id"], e["recipient_id"])),
            key=lambda e: int(e["id"]),
            reverse=True,
        )
        start = int(query["pagination_token"][0]) if "pagination_token" in query else 0
        size = int(query.get("max_results", ["100"])[0])
        page = events[start : start + size]
        fields = _fields(query, "dm_event.fields")
        data = []
        for event in page:
            item = {"id": event["id"], "event_type": event["event_type"]}
            for name in ("text", "dm_conversation_id", "created_at"):
                if name in fields:
                    item[name] = event[name]
            if "sender_id" in _fields(query, "expansions"):
                item["sender_id"] = event["sender_id"]
            data.append(item)
        result: dict = {"meta": {"result_count": len(data)}}
        if data:
            result["data"] = data
        if start + size < len(events):
            result["meta"]["next_token"] = f"{start + size:016d}"
        if "sender_id" in _fields(query, "expansions") and page:
            senders = sorted({e["sender_id"] for e in page})
            user_fields = _fields(query, "user.fields")
            result["includes"] = {"users": [self.users[u].as_json(user_fields, self) for u in senders]}
        return 200, result

    def _mute(self, user, params, query, payload):
        self._own(user, params["id"])
        user.mutes.add(self._target(payload))
        return 200, {"data": {"muting": True}}

    def _unmute(self, user, params, query, payload):
        self._own(user, params["source_user_id"])
        user.mutes.discard(params["target_user_id"])
        return 200, {"data": {"muting": False}}

    def _block(self, user, params, query, payload):
        self._own(user, params["id"])
        if self.tier != "enterprise":
            raise StubError(403, CLIENT_FORBIDDEN_BODY)
        user.blocks.add(self._target(payload))
        return 200, {"data": {"blocking": True}}

    def _unblock(self, user, params, query, payload):
        self._own(user, params["source_user_id"])
        if self.tier != "enterprise":
            raise StubError(403, CLIENT_FORBIDDEN_BODY)
        user.blocks.discard(params["target_user_id"])
        return 200, {"data": {"blocking": False}}

    def _follow(self, user, params, query, payload):
        self._own(user, params["id"])
        target = self._target(payload)
        user.following.add(target)
        if user.id not in self.users[target].followers:
            self.users[target].followers.insert(0, user.id)
        return 200, {"data": {"following": True, "pending_follow": False}}

    def _unfollow(self, user, params, query, payload):
        self._own(user, params["source_user_id"])
        user.following.discard(params["target_user_id"])
        target = self.users.get(params["target_user_id"])
        if target and user.id in target.followers:
            target.followers.remove(user.id)
        return 200, {"data": {"following": False}}

    def _hide(self, user, params, query, payload):
        post = self.posts.get(params["tweet_id"])
        if post is None or post["deleted"]:
            raise StubError(404)
        root = self.posts.get(post["conversation_id"])
        if post["conversation_id"] == post["id"] or root is None or root["author_id"] != user.id:
            raise StubError(403, problem(403, "Forbidden", "You can only hide replies in conversations you started."))
        if payload["hidden"]:
            user.hidden_replies.add(post["id"])
        else:
            user.hidden_replies.discard(post["id"])
        return 200, {"data": {"hidden": payload["hidden"]}}

    def _user_by_username(self, user, params, query, payload):
        found = next((u for u in self.users.values() if u.username.lower() == params["username"].lower()), None)
        if found is None:
            return 200, {
                "errors": [
                    {
                        "value": params["username"],
                        "detail": f"Could not find user with username: [{params['username']}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "username",
                        "resource_id": params["username"],
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            }
        return 200, {"data": found.as_json(_fields(query, "user.fields"), self)}

    def _upload(self, user, params, query, payload):
        try:
            data = base64.b64decode(payload["media"], validate=True)
        except binascii.Error:
            raise StubError(400, problem(400, "Invalid Request", "The media is not valid base64.")) from None
        kinds = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}
        image_type = next((kind for magic, kind in kinds.items() if data.startswith(magic)), None)
        if image_type is None:
            raise StubError(400, problem(400, "Invalid Request", "The media type is unrecognized."))
        if len(data) > 5 * 1024 * 1024:
            raise StubError(400, problem(400, "Invalid Request", "Images must be at most 5 MB."))
        media_id = str(next(self._ids))
        self.media[media_id] = {
            "id": media_id,
            "owner_id": user.id,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "alt_text": None,
        }
        return 200, {
            "data": {
                "id": media_id,
                "media_key": f"3_{media_id}",
                "size": len(data),
                "expires_after_secs": 86400,
                "image": {"image_type": image_type},
            }
        }

    def _metadata(self, user, params, query, payload):
        media = self.media.get(payload["id"])
        if media is None or media["owner_id"] != user.id:
            raise StubError(400, problem(400, "Invalid Request", f"The media {payload['id']} was not found."))
        alt = (payload.get("metadata") or {}).get("alt_text")
        if alt is not None:
            media["alt_text"] = alt["text"]
        return 200, {"data": {"id": media["id"], "associated_metadata": payload.get("metadata", {})}}

    # OAuth 2.0 (authorization code with PKCE, refresh with rotation, revoke).

    def _oauth(self, route, query, headers, body) -> tuple[int, dict, Any]:
        if route == "GET /i/oauth2/authorize":
            return self._authorize(query)
        form = dict(parse_qsl(body.decode()))
        client_id = self._oauth_client(headers, form)
        if route == "POST /2/oauth2/revoke":
            with self.lock:
                for table in (self.tokens, self.refresh_tokens):
                    if form.get("token") in table:
                        table[form["token"]].revoked = True
                        table.pop(form["token"])
            return 200, {}, {"revoked": True}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                grant_info = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if (
                    grant_info is None
                    or grant_info["client_id"] != client_id
                    or grant_info["redirect_uri"] != form.get("redirect_uri")
                    or grant_info["code_challenge"] != challenge
                ):
                    return (
                        400,
                        {},
                        {
                            "error": "invalid_request",
                            "error_description": "Value passed for the authorization code was invalid.",
                        },
                    )
                return 200, {}, self.issue_token(self.users[grant_info["user_id"]], scope=grant_info["scope"])
            if grant == "refresh_token":
                token = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
                if token is None or token.revoked:
                    return (
                        400,
                        {},
                        {"error": "invalid_request", "error_description": "Value passed for the token was invalid."},
                    )
                return 200, {}, self.issue_token(self.users[token.user_id], scope=token.scope)
        return 400, {}, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type."}

    def _oauth_client(self, headers, form) -> str:
        authorization = headers.get("authorization", "")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            if client_id != self.client_id or secret != self.client_secret:
                raise StubError(
                    401, {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}
                )
            return client_id
        if self.client_secret or form.get("client_id") != self.client_id:
            raise StubError(
                401, {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}
            )
        return form["client_id"]

    def _authorize(self, query) -> tuple[int, dict, Any]:
        """Approves at once, as the first account added to the stub (or `authorize_as`)."""
        args = {k: v[-1] for k, v in query.items()}
        missing = [
            k
            for k in ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge")
            if not args.get(k)
        ]
        if missing or args["response_type"] != "code" or args.get("code_challenge_method") != "S256":
            with self.lock:
                self.violations.append(f"GET /i/oauth2/authorize: bad or missing {', '.join(missing) or 'arguments'}")
            return 400, {}, {"error": "invalid_request"}
        if args["client_id"] != self.client_id:
            return 400, {}, {"error": "invalid_request", "error_description": "Unknown client."}
        with self.lock:
            user = self.authorize_as or next(iter(self.users.values()), None) or self.add_user("stub_school")
            code = secrets.token_urlsafe(24)
            self.codes[code] = {
                "user_id": user.id,
                "client_id": args["client_id"],
                "redirect_uri": args["redirect_uri"],
                "scope": args["scope"],
                "code_challenge": args["code_challenge"],
            }
        separator = "&" if "?" in args["redirect_uri"] else "?"
        location = args["redirect_uri"] + separator + urlencode({"state": args["state"], "code": code})
        return 302, {"Location": location}, None


def _fields(query: dict[str, list[str]], name: str) -> set[str]:
    return {part for value in query.get(name, []) for part in value.split(",") if part}


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(UTC).microsecond // 1000:03d}Z"


@pytest.fixture
def x_stub(settings):
    path = description_path()
    if not path.exists():
        pytest.skip(f"X's OpenAPI description is not at {path}: the stub X server needs it to check requests.")
    stub = XStub(load_description(path))
    stub.tier = settings.X_API_TIER
    stub._settings = settings
    stub.start()
    for name, value in stub.env().items():
        setattr(settings, name, value)
    try:
        yield stub
    finally:
        stub.stop()
    if stub.violations and not stub.violations_expected:
        pytest.fail("Requests that do not match X's API description:\n" + "\n".join(stub.violations))
