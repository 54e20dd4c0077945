"""A stub Bluesky server (entry service and PDS in one) for tests: real HTTP on 127.0.0.1, every
request and every answer checked against the AT Protocol lexicons, in-memory accounts, records
and blobs, and faults on demand. The adapter under test runs unchanged (the real `atproto` SDK,
real httpx).

The lexicons and their validator come from the npm package @atproto/api (package.json), run by
tests/bluesky_lexicons.cjs in one Node process per test run: request parameters, request bodies,
every record written (app.bsky.feed.post with its 300-grapheme limit, threadgates, blocks) and
every answer. What a lexicon cannot say, the stub checks itself: each blob a record refers to was
uploaded, has the size and type uploaded, and is within the lexicon's maxSize and accept; each
facet's byte range lies inside the text's UTF-8 bytes.

Use the `bluesky_stub` fixture (registered for the whole suite in tests/conftest.py). It points
settings.BLUESKY_SERVICE_URL at the stub and fails the test at teardown if any request did not
match the lexicons.

    user = bluesky_stub.add_user("alpha.bsky.social")          # an account (StubAccount)
    password = bluesky_stub.add_app_password(user)             # "abcd-efgh-ijkl-mnop"
    creds = bluesky_stub.credentials(user)                     # SocialAccount.credentials, signed in
    bluesky_stub.add_follower(user, bluesky_stub.add_user("fan.bsky.social"))
    uri = bluesky_stub.add_post(author, "Hello @alpha.bsky.social", mention=user, reply_to=None)
    bluesky_stub.posts_by(user)                                # live post records, oldest first

Faults, each for the next request to one method (an NSID such as "com.atproto.repo.createRecord"):

    bluesky_stub.fail_next(nsid, status=503, body=None, apply=False)
        that status (with an XRPC error body); apply=True lets the request take effect first.
    bluesky_stub.rate_limit_next(nsid, reset_in=120)   a 429 with ratelimit-* headers
    bluesky_stub.delay_next(nsid, seconds, apply=True) takes effect, answers late ("timeout after send")
    hold = bluesky_stub.hold_next(nsid)                takes effect, waits for hold.release()
    bluesky_stub.expire_token(access_jwt)              that access token gets 400 ExpiredToken
    bluesky_stub.revoke(user)                          every session of the account stops working
                                                       (the app password was revoked on Bluesky)

Private messages (chat.bsky.convo.*, which a PDS passes to Bluesky's chat service when the request
carries the `atproto-proxy: did:web:api.bsky.chat#bsky_chat` header; the stub answers them itself
and refuses them without that header):

    bluesky_stub.add_direct_message(sender, recipient, "Hello")   a message in their conversation
    bluesky_stub.direct_messages_to(user)                         messages sent to `user` (dicts)
    bluesky_stub.deny_chat(user)     the account's app password has no access to direct messages

Duplicates: Bluesky refuses no post for repeating another (createRecord's lexicon has no such
error), and neither does the stub: a second attempt after a lost answer simply posts twice, which
is what the adapter's reconciliation must prevent.

Inspection: `requests` (method, nsid, params, headers, body), `requests_to(nsid)`, `violations`;
a test that sends a bad request on purpose sets `violations_expected = True`. `env()` gives the
environment that points a separate worker process at the same stub.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.stub_http import Hold
from tests.stub_http import JSONHandler as _Handler

ROOT = Path(__file__).resolve().parent.parent
CHECKER = Path(__file__).resolve().parent / "bluesky_lexicons.cjs"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
IMAGE_BLOB_DEF = "app.bsky.embed.images#image"


# The lexicon checker (one Node process, shared by every stub in the test run).


class LexiconChecker:
    def __init__(self):
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            ["node", str(CHECKER)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._defs: dict[str, Any] = {}

    def ask(self, request: dict) -> dict:
        with self._lock:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("The lexicon checker (node tests/bluesky_lexicons.cjs) stopped.")
        return json.loads(line)

    def errors(self, kind: str, nsid: str, value: Any) -> list[str]:
        return self.ask({"kind": kind, "nsid": nsid, "value": value})["errors"]

    def definition(self, nsid: str) -> dict | None:
        if nsid not in self._defs:
            self._defs[nsid] = self.ask({"kind": "def", "nsid": nsid})["def"]
        return self._defs[nsid]


_checker: LexiconChecker | None = None


def lexicon_checker() -> LexiconChecker:
    global _checker
    if _checker is None:
        if shutil.which("node") is None or not (ROOT / "node_modules" / "@atproto" / "api").is_dir():
            pytest.fail(
                "The Bluesky stub checks requests against the AT Protocol lexicons from the npm package "
                "@atproto/api: install Node.js and run `make install` (npm ci)."
            )
        _checker = LexiconChecker()
    return _checker


# Identifiers as the AT Protocol writes them.


def make_tid() -> str:
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def make_cid(data: bytes, codec: int = 0x71) -> str:
    """A CIDv1 (sha2-256) in base32, "b…", as the network writes them; codec 0x71 dag-cbor, 0x55 raw."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    bits = "".join(f"{byte:08b}" for byte in raw)
    bits += "0" * (-len(bits) % 5)
    return "b" + "".join(_B32[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))


def make_did() -> str:
    return "did:plc:" + "".join(secrets.choice(_B32) for _ in range(24))


def make_jwt(did: str, scope: str, lifetime: float) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(time.time())
    payload = {"scope": scope, "sub": did, "iat": now, "exp": now + int(lifetime), "jti": secrets.token_hex(8)}
    return f"{part({'typ': 'at+jwt', 'alg': 'HS256'})}.{part(payload)}.{secrets.token_urlsafe(32)}"


def make_app_password() -> str:
    letters = "abcdefghijklmnopqrstuvwxyz234567"
    return "-".join("".join(secrets.choice(letters) for _ in range(4)) for _ in range(4))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# The stub's state.


@dataclass
class StubAccount:
    did: str
    handle: str
    password: str
    display_name: str = ""
    description: str = ""
    created_at: str = field(default_factory=now_iso)
    app_passwords: set[str] = field(default_factory=set)
    followers: list[str] = field(default_factory=list)
    muted: set[str] = field(default_factory=set)
    chat_allowed: bool = True


@dataclass
class Token:
    did: str
    kind: str  # "access" or "refresh"
    expires_at: float
    used: bool = False


@dataclass
class Fault:
    nsid: str
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    apply: bool = False
    delay: float = 0.0
    hold: Hold | None = None


@dataclass
class RecordedRequest:
    method: str
    nsid: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str = "", headers: dict | None = None):
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}

    @property
    def body(self) -> dict:
        return {"error": self.error, "message": self.message or self.error}


_DEFAULT_ERRORS = {
    400: "InvalidRequest",
    401: "AuthenticationRequired",
    404: "NotFound",
    429: "RateLimitExceeded",
    500: "InternalServerError",
    502: "UpstreamFailure",
    503: "ServiceUnavailable",
}


class BlueskyStub:
    HOLD_LIMIT_SECONDS = 120
    ACCESS_LIFETIME = 2 * 3600
    REFRESH_LIFETIME = 60 * 24 * 3600

    def __init__(self, checker: LexiconChecker):
        self.checker = checker
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.violations_expected = False
        self.accounts: dict[str, StubAccount] = {}
        self.records: dict[tuple[str, str, str], dict] = {}  # (did, collection, rkey) -> {"value", "cid", "at"}
        self.blobs: dict[str, dict] = {}
        self.notifications: dict[str, list[dict]] = {}
        self.convos: dict[str, list[str]] = {}  # convo id -> the members' DIDs
        self.chat_log: list[dict] = []  # every message sent, oldest first
        self._chat_revs = itertools.count(1)
        self.reports: list[dict] = []
        self.ended_sessions: list[str] = []  # the DIDs whose session deleteSession ended
        self.tokens: dict[str, Token] = {}
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._report_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # Lifecycle.

    def start(self) -> None:
        stub = self

        class Handler(_Handler):
            pass

        Handler.stub = stub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="bluesky-stub", daemon=True
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
        return {"BLUESKY_SERVICE_URL": self.base_url}

    # Seeding.

    def add_user(self, handle: str, display_name: str = "", description: str = "") -> StubAccount:
        with self.lock:
            account = StubAccount(
                did=make_did(),
                handle=handle,
                password=secrets.token_urlsafe(12),
                display_name=display_name,
                description=description,
            )
            self.accounts[account.did] = account
            return account

    def add_app_password(self, account: StubAccount) -> str:
        password = make_app_password()
        with self.lock:
            account.app_passwords.add(password)
        return password

    def deny_chat(self, account: StubAccount) -> None:
        with self.lock:
            account.chat_allowed = False

    def add_direct_message(self, sender: StubAccount, recipient: StubAccount, text: str) -> dict:
        with self.lock:
            convo_id = self._convo_for([sender.did, recipient.did])
            rev = f"{next(self._chat_revs):013d}"
            message = {"id": make_tid(), "rev": rev, "text": text, "sender": sender.did, "sentAt": now_iso()}
            self.chat_log.append({"convo_id": convo_id, "message": message})
            return message

    def direct_messages_to(self, account: StubAccount) -> list[dict]:
        with self.lock:
            return [
                entry["message"]
                for entry in self.chat_log
                if account.did in self.convos[entry["convo_id"]] and entry["message"]["sender"] != account.did
            ]

    def _convo_for(self, members: list[str]) -> str:
        wanted = sorted(set(members))
        for convo_id, dids in self.convos.items():
            if sorted(dids) == wanted:
                return convo_id
        convo_id = make_tid()
        self.convos[convo_id] = wanted
        return convo_id

    def credentials(self, account: StubAccount) -> dict:
        """Signed-in credentials as `networks.bluesky.connect` stores them."""
        session = self._new_session(account)
        return {"auth": "app_password", "pds": self.base_url, **session}

    def add_follower(self, account: StubAccount, follower: StubAccount) -> None:
        with self.lock:
            account.followers.append(follower.did)

    def add_post(
        self,
        author: StubAccount,
        text: str,
        *,
        mention: StubAccount | None = None,
        reply_to: str | None = None,
        facets: list | None = None,
        created_at: str | None = None,
    ) -> str:
        """Someone's post (with a notification for `mention`, or for the author replied to)."""
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created_at or now_iso()}
        if facets:
            record["facets"] = facets
        if mention is not None and f"@{mention.handle}" in text:
            start = text.encode().index(f"@{mention.handle}".encode())
            record.setdefault("facets", []).append(
                {
                    "index": {"byteStart": start, "byteEnd": start + len(f"@{mention.handle}".encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention.did}],
                }
            )
        if reply_to:
            parent = self._record_at(reply_to)
            parent_ref = {"uri": reply_to, "cid": parent["cid"]}
            root = (parent["value"].get("reply") or {}).get("root") or parent_ref
            record["reply"] = {"root": root, "parent": parent_ref}
        uri, _cid = self._write(author.did, "app.bsky.feed.post", make_tid(), record)
        if mention is not None:
            self._notify(mention.did, author.did, uri, "mention")
        if reply_to:
            parent_did = reply_to.removeprefix("at://").split("/")[0]
            if parent_did != author.did:
                self._notify(parent_did, author.did, uri, "reply")
        return uri

    def posts_by(self, account: StubAccount) -> list[dict]:
        with self.lock:
            items = [
                {"uri": f"at://{did}/{coll}/{rkey}", **entry["value"]}
                for (did, coll, rkey), entry in self.records.items()
                if did == account.did and coll == "app.bsky.feed.post"
            ]
        return sorted(items, key=lambda item: item["createdAt"])

    def record(self, account: StubAccount, collection: str, rkey: str) -> dict | None:
        with self.lock:
            entry = self.records.get((account.did, collection, rkey))
        return entry["value"] if entry else None

    def records_of(self, account: StubAccount, collection: str) -> list[dict]:
        with self.lock:
            return [
                entry["value"]
                for (did, coll, _rkey), entry in self.records.items()
                if did == account.did and coll == collection
            ]

    # Faults.

    def fail_next(self, nsid: str, status: int = 503, body: dict | None = None, apply: bool = False, headers=None):
        self._add_fault(Fault(nsid, status=status, body=body, apply=apply, headers=headers or {}))

    def rate_limit_next(self, nsid: str, reset_in: int = 120) -> int:
        reset = int(time.time()) + reset_in
        headers = {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
        self._add_fault(Fault(nsid, status=429, headers=headers))
        return reset

    def delay_next(self, nsid: str, seconds: float, apply: bool = True) -> None:
        self._add_fault(Fault(nsid, delay=seconds, apply=apply))

    def hold_next(self, nsid: str) -> Hold:
        hold = Hold()
        self._holds.append(hold)
        self._add_fault(Fault(nsid, hold=hold, apply=True))
        return hold

    def expire_token(self, access_jwt: str) -> None:
        with self.lock:
            self.tokens[access_jwt].expires_at = 0

    def revoke(self, account: StubAccount) -> None:
        with self.lock:
            for token in list(self.tokens):
                if self.tokens[token].did == account.did:
                    del self.tokens[token]
            account.app_passwords.clear()

    def requests_to(self, nsid: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.nsid == nsid]

    def _add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, nsid: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.nsid == nsid:
                    self._faults.remove(fault)
                    return fault
        return None

    # Request handling (from the server's threads).

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, Any]:
        parts = urlsplit(url)
        nsid = parts.path.removeprefix("/xrpc/")
        params = parse_qs(parts.query, keep_blank_values=True)
        with self.lock:
            self.requests.append(RecordedRequest(method, nsid, params, headers, body))
        problems = self._check_request(method, nsid, params, headers, body)
        if problems:
            with self.lock:
                self.violations.extend(problems)
            return 400, {}, {"error": "InvalidRequest", "message": "; ".join(problems)}
        try:
            fault = self._take_fault(nsid)
            if fault and fault.status and not fault.apply:
                raise XrpcError(fault.status, _DEFAULT_ERRORS.get(fault.status, "Error"), headers=fault.headers)
            payload = (
                json.loads(body) if body and headers.get("content-type", "").startswith("application/json") else None
            )
            result = self._dispatch(nsid, headers, _single(params), params, payload, body)
            if fault:
                if fault.hold:
                    fault.hold.reached.set()
                    fault.hold.wait_released(self.HOLD_LIMIT_SECONDS)
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.status:
                    raise XrpcError(fault.status, _DEFAULT_ERRORS.get(fault.status, "Error"), headers=fault.headers)
        except XrpcError as exc:
            return exc.status, exc.headers, exc.body
        except Exception as exc:  # a fault in the stub itself must fail the test, not hang it
            with self.lock:
                self.violations.append(f"{nsid}: the stub failed: {exc!r}")
            return 500, {}, {"error": "InternalServerError", "message": "stub failure"}
        if result is not None:
            errors = self.checker.errors("output", nsid, result)
            if errors:
                with self.lock:
                    self.violations.extend(f"the stub's own answer: {e}" for e in errors)
        return 200, {}, result

    def _check_request(self, method, nsid, params, headers, body) -> list[str]:
        definition = self.checker.definition(nsid)
        if definition is None:
            return [f"{method} /xrpc/{nsid}: no lexicon defines this method"]
        expected = {"query": "GET", "procedure": "POST"}.get(definition["type"])
        if method != expected:
            return [f"{method} /xrpc/{nsid}: a {definition['type']} is called with {expected}"]
        problems = self.checker.errors("params", nsid, params) if definition.get("parameters") or params else []
        encoding = (definition.get("input") or {}).get("encoding")
        if encoding == "application/json":
            try:
                value = json.loads(body)
            except ValueError:
                return [*problems, f"{nsid}: the body is not JSON"]
            problems += self.checker.errors("input", nsid, value)
            if nsid in ("com.atproto.repo.createRecord", "com.atproto.repo.putRecord") and not problems:
                record = value.get("record")
                problems += self.checker.errors("record", value["collection"], record)
                problems += self._check_record_extras(record)
        elif encoding == "*/*":
            content_type = headers.get("content-type", "")
            if not content_type or content_type == "*/*":
                problems.append(f"{nsid}: the upload has no Content-Type")
        return problems

    def _check_record_extras(self, record: Any) -> list[str]:
        """What the lexicons cannot express: blobs as uploaded and within their limits, facet ranges."""
        problems = []
        image_def = self.checker.definition(IMAGE_BLOB_DEF)["properties"]["image"]
        for blob in _blobs_in(record):
            link = (blob.get("ref") or {}).get("$link")
            uploaded = self.blobs.get(link)
            if uploaded is None:
                problems.append(f"blob {link}: never uploaded")
                continue
            if uploaded["size"] != blob.get("size") or uploaded["mimeType"] != blob.get("mimeType"):
                problems.append(f"blob {link}: size or type differs from the upload")
            if blob.get("size", 0) > image_def["maxSize"]:
                problems.append(f"blob {link}: {blob['size']} bytes, more than the lexicon's {image_def['maxSize']}")
            accepted = image_def.get("accept", [])
            if not any(blob.get("mimeType", "").startswith(kind.removesuffix("*")) for kind in accepted):
                problems.append(f"blob {link}: type {blob.get('mimeType')} not in {accepted}")
        if isinstance(record, dict) and "text" in record:
            length = len(record["text"].encode())
            for facet in record.get("facets") or []:
                start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
                if not 0 <= start < end <= length:
                    problems.append(f"facet {start}-{end}: outside the text's {length} UTF-8 bytes")
        return problems

    def _dispatch(self, nsid, headers, query, params, payload, body) -> dict | None:
        if nsid == "com.atproto.server.createSession":
            return self._create_session(payload)
        if nsid == "com.atproto.server.refreshSession":
            return self._refresh_session(headers)
        if nsid == "com.atproto.server.deleteSession":
            return self._delete_session(headers)
        if nsid == "com.atproto.identity.resolveHandle":
            return {"did": self._account_by_actor(query["handle"], "Unable to resolve handle").did}
        me = self._authenticate(headers)
        if nsid.startswith("chat.bsky."):
            self._check_chat(me, nsid, headers)
        handler = getattr(self, "_" + nsid.rsplit(".", 1)[1], None)
        if handler is None:
            raise XrpcError(501, "MethodNotImplemented", f"{nsid} is not served by the stub")
        return handler(me, query=query, params=params, payload=payload, body=body, headers=headers)

    # Sessions.

    def _new_session(self, account: StubAccount) -> dict:
        access = make_jwt(account.did, "com.atproto.appPass", self.ACCESS_LIFETIME)
        refresh = make_jwt(account.did, "com.atproto.refresh", self.REFRESH_LIFETIME)
        with self.lock:
            self.tokens[access] = Token(account.did, "access", time.time() + self.ACCESS_LIFETIME)
            self.tokens[refresh] = Token(account.did, "refresh", time.time() + self.REFRESH_LIFETIME)
        return {"did": account.did, "handle": account.handle, "access_jwt": access, "refresh_jwt": refresh}

    def _session_answer(self, account: StubAccount) -> dict:
        session = self._new_session(account)
        return {
            "accessJwt": session["access_jwt"],
            "refreshJwt": session["refresh_jwt"],
            "handle": account.handle,
            "did": account.did,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": account.did,
                "alsoKnownAs": [f"at://{account.handle}"],
                "service": [
                    {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": self.base_url}
                ],
            },
            "active": True,
        }

    def _create_session(self, payload: dict) -> dict:
        identifier = payload["identifier"].lstrip("@").lower()
        account = next(
            (a for a in self.accounts.values() if identifier in (a.handle.lower(), a.did)),
            None,
        )
        if account is None or (
            payload["password"] not in account.app_passwords and payload["password"] != account.password
        ):
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        return self._session_answer(account)

    def _refresh_session(self, headers: dict) -> dict:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            found = self.tokens.get(token)
            if found is None or found.kind != "refresh" or found.used:
                raise XrpcError(400, "InvalidToken", "Token has been revoked")
            if found.expires_at < time.time():
                raise XrpcError(400, "ExpiredToken", "Token has expired")
            found.used = True
        answer = self._session_answer(self.accounts[found.did])
        answer.pop("didDoc")
        return answer

    def _delete_session(self, headers: dict) -> None:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            found = self.tokens.get(token)
            if found is None or found.kind != "refresh":
                raise XrpcError(401, "InvalidToken", "Token could not be verified")
            self.ended_sessions.append(found.did)
            del self.tokens[token]

    def _authenticate(self, headers: dict) -> StubAccount:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            found = self.tokens.get(token)
        if found is None or found.kind != "access":
            raise XrpcError(401, "InvalidToken", "Token could not be verified")
        if found.expires_at < time.time():
            raise XrpcError(400, "ExpiredToken", "Token has expired")
        return self.accounts[found.did]

    def _check_chat(self, me: StubAccount, nsid: str, headers: dict) -> None:
        if headers.get("atproto-proxy") != CHAT_PROXY:
            with self.lock:
                self.violations.append(f"{nsid}: sent without the atproto-proxy header for Bluesky's chat service")
            raise XrpcError(501, "MethodNotImplemented", f"{nsid} is not served by this PDS")
        if not me.chat_allowed:
            raise XrpcError(400, "InvalidToken", "Bad token scope")

    # Methods.

    def _getSession(self, me, **_):
        return {"handle": me.handle, "did": me.did, "active": True}

    def _uploadBlob(self, me, body, headers, **_):
        cid = make_cid(body, codec=0x55)
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": headers["content-type"], "size": len(body)}
        with self.lock:
            self.blobs[cid] = blob
        return {"blob": blob}

    def _createRecord(self, me, payload, **_):
        self._own_repo(me, payload["repo"])
        uri, cid = self._write(me.did, payload["collection"], payload.get("rkey") or make_tid(), payload["record"])
        self._notify_mentions(me, uri, payload["record"])
        return {"uri": uri, "cid": cid}

    def _putRecord(self, me, payload, **_):
        self._own_repo(me, payload["repo"])
        uri, cid = self._write(me.did, payload["collection"], payload["rkey"], payload["record"])
        return {"uri": uri, "cid": cid}

    def _deleteRecord(self, me, payload, **_):
        self._own_repo(me, payload["repo"])
        with self.lock:
            self.records.pop((me.did, payload["collection"], payload["rkey"]), None)
        return {}

    def _getRecord(self, me, query, **_):
        did = self._account_by_actor(query["repo"]).did
        with self.lock:
            entry = self.records.get((did, query["collection"], query["rkey"]))
        if entry is None:
            raise XrpcError(
                400, "RecordNotFound", f"Could not locate record: at://{did}/{query['collection']}/{query['rkey']}"
            )
        return {
            "uri": f"at://{did}/{query['collection']}/{query['rkey']}",
            "cid": entry["cid"],
            "value": entry["value"],
        }

    def _listRecords(self, me, query, **_):
        did = self._account_by_actor(query["repo"]).did
        limit = int(query.get("limit", 50))
        with self.lock:
            items = [
                {"uri": f"at://{d}/{c}/{rkey}", "cid": entry["cid"], "value": entry["value"]}
                for (d, c, rkey), entry in self.records.items()
                if d == did and c == query["collection"]
            ]
        items.sort(key=lambda item: item["uri"].rsplit("/", 1)[1], reverse=True)
        return {"records": items[:limit]}

    def _getPosts(self, me, params, **_):
        views = []
        for uri in params.get("uris", []):
            try:
                entry = self._record_at(uri)
            except XrpcError:
                continue
            author = self.accounts[uri.removeprefix("at://").split("/")[0]]
            views.append(
                {
                    "uri": uri,
                    "cid": entry["cid"],
                    "author": _basic(author),
                    "record": entry["value"],
                    "indexedAt": entry["at"],
                }
            )
        return {"posts": views}

    def _getProfile(self, me, query, **_):
        account = self._account_by_actor(query["actor"], "Profile not found")
        blocking = next(
            (
                f"at://{me.did}/app.bsky.graph.block/{rkey}"
                for (did, coll, rkey), entry in self.records.items()
                if did == me.did and coll == "app.bsky.graph.block" and entry["value"]["subject"] == account.did
            ),
            None,
        )
        viewer = {"muted": account.did in me.muted, "blockedBy": False}
        if blocking:
            viewer["blocking"] = blocking
        return {
            **_profile(account),
            "followersCount": len(account.followers),
            "followsCount": 0,
            "postsCount": len(self.posts_by(account)),
            "viewer": viewer,
        }

    def _getFollowers(self, me, query, **_):
        account = self._account_by_actor(query["actor"], "Profile not found")
        limit = int(query.get("limit", 50))
        start = int(query.get("cursor") or 0)
        page = account.followers[start : start + limit]
        answer = {"subject": _profile(account), "followers": [_profile(self.accounts[did]) for did in page]}
        if start + limit < len(account.followers):
            answer["cursor"] = str(start + limit)
        return answer

    def _listNotifications(self, me, query, params, **_):
        reasons = set(params.get("reasons", [])) or None
        limit = int(query.get("limit", 50))
        start = int(query.get("cursor") or 0)
        with self.lock:
            items = [n for n in reversed(self.notifications.get(me.did, [])) if not reasons or n["reason"] in reasons]
        page = items[start : start + limit]
        answer = {"notifications": [self._notification_view(item) for item in page]}
        if start + limit < len(items):
            answer["cursor"] = str(start + limit)
        return answer

    # Private messages (chat.bsky.convo.*).

    def _member_view(self, did: str) -> dict:
        account = self.accounts[did]
        return {"did": account.did, "handle": account.handle}

    def _convo_view(self, convo_id: str) -> dict:
        revs = [entry["message"]["rev"] for entry in self.chat_log if entry["convo_id"] == convo_id]
        return {
            "id": convo_id,
            "rev": revs[-1] if revs else "0000000000000",
            "members": [self._member_view(did) for did in self.convos[convo_id]],
            "muted": False,
            "unreadCount": 0,
        }

    def _message_view(self, message: dict) -> dict:
        return {
            "$type": "chat.bsky.convo.defs#messageView",
            "id": message["id"],
            "rev": message["rev"],
            "text": message["text"],
            "sender": {"did": message["sender"]},
            "sentAt": message["sentAt"],
        }

    def _getConvoForMembers(self, me, params, **_):
        members = [self._account_by_actor(did).did for did in params.get("members", [])]
        with self.lock:
            convo_id = self._convo_for([me.did, *members])
            return {"convo": self._convo_view(convo_id)}

    def _sendMessage(self, me, payload, **_):
        with self.lock:
            members = self.convos.get(payload["convoId"])
            if members is None or me.did not in members:
                raise XrpcError(400, "InvalidConvo", "Convo not found")
            recipient = next(did for did in members if did != me.did)
        message = self.add_direct_message(me, self.accounts[recipient], payload["message"]["text"])
        return {k: v for k, v in self._message_view(message).items() if k != "$type"}

    def _getLog(self, me, query, **_):
        cursor = query.get("cursor") or ""
        with self.lock:
            entries = [
                entry
                for entry in self.chat_log
                if me.did in self.convos[entry["convo_id"]] and entry["message"]["rev"] > cursor
            ][:100]
        logs = [
            {
                "$type": "chat.bsky.convo.defs#logCreateMessage",
                "rev": entry["message"]["rev"],
                "convoId": entry["convo_id"],
                "message": self._message_view(entry["message"]),
            }
            for entry in entries
        ]
        answer: dict = {"logs": logs}
        if entries:
            answer["cursor"] = entries[-1]["message"]["rev"]
        return answer

    def _muteActor(self, me, payload, **_):
        me.muted.add(self._account_by_actor(payload["actor"]).did)

    def _unmuteActor(self, me, payload, **_):
        me.muted.discard(self._account_by_actor(payload["actor"]).did)

    def _createReport(self, me, payload, **_):
        report = {
            "id": next(self._report_ids),
            "reasonType": payload["reasonType"],
            "reason": payload.get("reason", ""),
            "subject": payload["subject"],
            "reportedBy": me.did,
            "createdAt": now_iso(),
        }
        with self.lock:
            self.reports.append(report)
        return report

    # Helpers.

    def _own_repo(self, me: StubAccount, repo: str) -> None:
        if repo not in (me.did, me.handle):
            raise XrpcError(400, "InvalidRequest", "Invalid repo")

    def _account_by_actor(self, actor: str, message: str = "Could not find repo") -> StubAccount:
        actor = actor.lstrip("@").lower()
        for account in self.accounts.values():
            if actor in (account.did, account.handle.lower()):
                return account
        raise XrpcError(400, "InvalidRequest", message)

    def _write(self, did: str, collection: str, rkey: str, value: dict) -> tuple[str, str]:
        cid = make_cid(json.dumps(value, sort_keys=True).encode() + rkey.encode())
        with self.lock:
            self.records[(did, collection, rkey)] = {"value": value, "cid": cid, "at": now_iso()}
        return f"at://{did}/{collection}/{rkey}", cid

    def _record_at(self, uri: str) -> dict:
        did, collection, rkey = uri.removeprefix("at://").split("/")
        with self.lock:
            entry = self.records.get((did, collection, rkey))
        if entry is None:
            raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
        return entry

    def _notify(self, recipient: str, author: str, uri: str, reason: str) -> None:
        with self.lock:
            self.notifications.setdefault(recipient, []).append({"uri": uri, "author": author, "reason": reason})

    def _notify_mentions(self, me: StubAccount, uri: str, record: dict) -> None:
        for facet in record.get("facets") or []:
            for feature in facet.get("features", []):
                if feature.get("$type") == "app.bsky.richtext.facet#mention" and feature["did"] in self.accounts:
                    self._notify(feature["did"], me.did, uri, "mention")

    def _notification_view(self, item: dict) -> dict:
        entry = self._record_at(item["uri"])
        return {
            "uri": item["uri"],
            "cid": entry["cid"],
            "author": _profile(self.accounts[item["author"]]),
            "reason": item["reason"],
            "record": entry["value"],
            "isRead": False,
            "indexedAt": entry["at"],
        }


def _basic(account: StubAccount) -> dict:
    view = {"did": account.did, "handle": account.handle}
    if account.display_name:
        view["displayName"] = account.display_name
    return view


def _profile(account: StubAccount) -> dict:
    view = {**_basic(account), "createdAt": account.created_at}
    if account.description:
        view["description"] = account.description
    return view


def _single(params: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[-1] for name, values in params.items()}


def _blobs_in(value: Any):
    if isinstance(value, dict):
        if value.get("$type") == "blob":
            yield value
        for item in value.values():
            yield from _blobs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _blobs_in(item)


@pytest.fixture
def bluesky_stub(settings):
    stub = BlueskyStub(lexicon_checker())
    stub.start()
    for name, value in stub.env().items():
        setattr(settings, name, value)
    try:
        yield stub
    finally:
        stub.stop()
    if stub.violations and not stub.violations_expected:
        pytest.fail("Requests that do not match the AT Protocol lexicons:\n" + "\n".join(stub.violations))
