"""Mastodon through Mastodon.py, on whichever server the school's account is.

Each account keeps (SocialAccount.network_settings, not secret): the server's base URL and
domain, the account's id and username there, and the server's own limits read from
/api/v2/instance when it was connected and on each connection check (`server_limits`). Its
credentials (encrypted) hold the access token and the scopes the server granted. Mastodon's
access tokens do not expire: a 401 means the token was revoked, and the account must be
connected again.

Every call goes through `guarded_session` (no private addresses unless
settings.MASTODON_ALLOW_PRIVATE_SERVERS), with settings.MASTODON_TIMEOUT_SECONDS, so tests run
the same code against the stub server in tests/mastodonstub.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)
from urllib3.exceptions import NewConnectionError

from accounts.models import SocialAccount
from networks.base import (
    Capabilities,
    DirectMessage,
    ExternalRef,
    FetchedMedia,
    FetchedPost,
    LengthRule,
    MediaRef,
    Mention,
    Network,
    NetworkError,
    NetworkUser,
    OwnPost,
    PostNotFound,
    PostPayload,
    ReconnectNeeded,
    SentMessage,
)
from networks.text import length_of, unit

from .servers import ForbiddenPeer, guarded_session

T = TypeVar("T")

# Mastodon's own defaults, for a server that does not say (docs.joinmastodon.org/entities/Instance/).
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_IMAGES = 4
DEFAULT_URL_LENGTH = 23
DEFAULT_IMAGE_BYTES = 16 * 1024 * 1024
DEFAULT_DESCRIPTION_LIMIT = 1500
# How long a rate-limited call waits when the server gives no reset time.
DEFAULT_RATE_LIMIT_WAIT_SECONDS = 300
# A status id in a link to a post on the same server: /@user/123 or /users/user/statuses/123.
_STATUS_PATH = re.compile(r"/(?:@[\w.-]+(?:@[\w.-]+)?|users/[\w.-]+/statuses)/(\d{1,20})/?")


def capabilities_from(network_settings: dict | None) -> Capabilities:
    """The limits of the account's server, as it reported them, with Mastodon's defaults where it did not."""
    facts = network_settings or {}
    return Capabilities(
        max_length=int(facts.get("max_characters") or DEFAULT_MAX_CHARACTERS),
        length_rule=LengthRule.MASTODON,
        max_images=int(facts.get("max_images") or DEFAULT_MAX_IMAGES),
        max_image_bytes=int(facts.get("max_image_bytes") or DEFAULT_IMAGE_BYTES),
        alt_text_limit=int(facts.get("description_limit") or DEFAULT_DESCRIPTION_LIMIT),
        url_length=int(facts.get("url_length") or DEFAULT_URL_LENGTH),
        supports_block=True,
        supports_idempotency_key=True,
        # Mastodon keeps an Idempotency-Key for one hour (docs: methods/statuses, "Post a new status").
        idempotency_key_seconds=3600,
        supports_follower_list=True,
        # Mastodon has no hidden replies; limiting who may reply is not in its API either (newer
        # servers let an author limit who may *quote* a post, which is a different thing).
        supports_hide_reply=False,
        supports_reply_controls=False,
        # Mastodon fetches the linked page and shows a preview card under the post.
        shows_link_previews=True,
        supports_mute=True,
        supports_report=True,
        supports_remove_follower=True,
        supports_repost=True,
        # A Mastodon "private message" is a status with "direct" visibility that mentions the person.
        supports_direct_messages=True,
        direct_messages_note="On Mastodon a private message is a post only the people it mentions can see, but "
        "the administrators of both servers can read it too, and it is not encrypted: write nothing you would "
        "not want them to read.",
    )


def server_limits(instance: Any) -> dict:
    """The facts the portal keeps from a server's /api/v2/instance (or v1) answer."""
    configuration = _get(instance, "configuration") or {}
    statuses = _get(configuration, "statuses") or {}
    media = _get(configuration, "media_attachments") or {}
    facts = {
        "max_characters": _get(statuses, "max_characters"),
        "url_length": _get(statuses, "characters_reserved_per_url"),
        "max_images": _get(statuses, "max_media_attachments"),
        "max_image_bytes": _get(media, "image_size_limit"),
        "description_limit": _get(media, "description_limit"),
        "mime_types": list(_get(media, "supported_mime_types") or []),
        "version": str(_get(instance, "version") or ""),
        "title": str(_get(instance, "title") or ""),
    }
    return {name: value for name, value in facts.items() if value not in (None, "", [])}


def read_instance(api: Mastodon) -> Any:
    """The server's description: /api/v2/instance, or /api/v1/instance on servers older than 4.0
    (which describe their limits there from 3.4)."""
    try:
        return api.instance_v2()
    except MastodonNotFoundError:
        return api.instance_v1()


def _get(thing: Any, name: str) -> Any:
    if isinstance(thing, dict):
        return thing.get(name)
    return getattr(thing, name, None)


def client(base_url: str, *, access_token: str | None = None, client_id=None, client_secret=None) -> Mastodon:
    """Mastodon.py's client for one server, through the guarded session, throwing on rate limits
    (the publisher decides when to try again, not a sleeping worker)."""
    return Mastodon(
        api_base_url=base_url,
        access_token=access_token,
        client_id=client_id,
        client_secret=client_secret,
        request_timeout=settings.MASTODON_TIMEOUT_SECONDS,
        ratelimit_method="throw",
        version_check_mode="none",
        session=guarded_session(),
        user_agent=settings.MASTODON_APP_NAME,
    )


def post_url_on(server: str, username: str, status_id: str) -> str:
    return f"{server}/@{username}/{status_id}"


class MastodonNetwork(Network):
    label = "Mastodon"
    capabilities = capabilities_from({})

    @classmethod
    def capabilities_for(cls, account: SocialAccount | None) -> Capabilities:
        return capabilities_from(account.network_settings if account is not None else None)

    def __init__(self, account: SocialAccount):
        super().__init__(account)
        self.credentials: dict = dict(account.credentials or {})
        self.facts: dict = dict(account.network_settings or {})
        self._api: Mastodon | None = None

    # Posts.

    def publish(self, payload: PostPayload, *, idempotency_key: str | None = None) -> ExternalRef:
        """Post a public status. The server keeps the Idempotency-Key for an hour: sending the same
        post again with it returns the status already made instead of a second one."""
        self.check_payload(payload)
        if payload.quote_of:
            raise NetworkError(
                "Quoting another post is not available for Mastodon through the portal. Edit the post to put "
                "a link to the other post in its text instead.",
                permanent=True,
            )
        limits = self.limits
        length = length_of(payload.text, limits)
        if length > limits.max_length:
            raise NetworkError(
                f"The post is {length} {unit(limits.length_rule)}; {self._server_name} allows "
                f"{limits.max_length}. Shorten it and submit it again.",
                permanent=True,
            )
        status = self._call(
            "publish the post",
            lambda api: api.status_post(
                payload.text,
                media_ids=list(payload.media) or None,
                in_reply_to_id=payload.reply_to,
                visibility="public",
                idempotency_key=idempotency_key,
            ),
            creates=True,
        )
        return ExternalRef(id=str(status["id"]), url=status.get("url") or self._post_url(str(status["id"])))

    def delete(self, ref_id: str) -> None:
        self._call("delete the post", lambda api: api.status_delete(ref_id), missing_post=ref_id)

    def recent_own_posts(self, limit: int = 20) -> list[OwnPost]:
        account_id = self._account_id()
        statuses = self._call(
            "read its recent posts",
            lambda api: api.account_statuses(account_id, limit=min(max(limit, 1), 40), exclude_reblogs=True),
        )
        return [
            OwnPost(
                id=str(status["id"]),
                text=plain_text(status.get("content") or ""),
                created_at=_aware(status.get("created_at")),
                url=status.get("url") or self._post_url(str(status["id"])),
            )
            for status in statuses[:limit]
        ]

    def fetch_post(self, post_id: str) -> FetchedPost:
        """A post by its id on this account's server, or by its address (on this server or, found
        through this server's search, on another)."""
        status_id = self._resolved_status_id(post_id)
        status = self._call("read a post", lambda api: api.status(status_id), missing_post=status_id)
        author = status.get("account") or {}
        return FetchedPost(
            id=str(status["id"]),
            text=plain_text(status.get("content") or ""),
            author_handle=str(author.get("acct") or ""),
            url=status.get("url") or self._post_url(str(status["id"])),
            media=tuple(
                FetchedMedia(
                    url=str(media.get("url") or media.get("preview_url") or ""), alt_text=media.get("description") or ""
                )
                for media in status.get("media_attachments") or []
            ),
        )

    def repost(self, post_id: str) -> ExternalRef:
        """Boost (reblog) a public post; the server answers a repeat with the same boost."""
        status_id = self._resolved_status_id(post_id)
        boost = self._call(
            "repost the post",
            lambda api: api.status_reblog(status_id, visibility="public"),
            creates=True,
            missing_post=status_id,
        )
        original = boost.get("reblog") or {}
        return ExternalRef(id=str(boost["id"]), url=original.get("url") or self._post_url(status_id))

    def undo_repost(self, repost_id: str, post_id: str) -> None:
        """Mastodon undoes a boost by the boosted post's id."""
        status_id = self._resolved_status_id(post_id)
        self._call("undo the repost", lambda api: api.status_unreblog(status_id), missing_post=status_id)

    def find_repost(self, post_id: str) -> ExternalRef | None:
        """Whether the account boosts the post (the status's `reblogged`, as the server shows it to
        the account), and the boost's own id from the account's recent statuses when it is there."""
        status_id = self._resolved_status_id(post_id)
        status = self._call("read a post", lambda api: api.status(status_id), missing_post=status_id)
        if not status.get("reblogged"):
            return None
        account_id = self._account_id()
        own = self._call(
            "read its recent posts", lambda api: api.account_statuses(account_id, limit=40, exclude_reblogs=False)
        )
        boost_id = next(
            (str(each["id"]) for each in own if str((each.get("reblog") or {}).get("id")) == status_id), status_id
        )
        return ExternalRef(id=boost_id, url=status.get("url") or self._post_url(status_id))

    def upload_media(self, image: bytes, alt_text: str) -> MediaRef:
        """Upload one JPEG with its description, then wait until the server has processed it
        (POST /api/v2/media may answer 202 with no `url` yet; a post cannot use it until then)."""
        self.check_media(image, alt_text)
        media = self._call(
            "upload the image",
            lambda api: api.media_post(image, mime_type="image/jpeg", description=alt_text or None),
        )
        media_id = str(media["id"])
        deadline = time.monotonic() + settings.MASTODON_MEDIA_WAIT_SECONDS
        pause = 0.2
        while media.get("url") is None:
            if time.monotonic() >= deadline:
                raise NetworkError(
                    f"{self._server_name} is still preparing a photo for {self._handle}. The portal will try again."
                )
            time.sleep(pause)
            pause = min(pause * 2, 3.0)
            media = self._call("check the uploaded image", lambda api: api.media(media_id))
        return media_id

    # The account and the people around it.

    def check_connection(self) -> NetworkUser:
        """Who the token acts for, and the server's current limits (kept on the account)."""
        me = self._call("check the connection", lambda api: api.account_verify_credentials())
        instance = self._call("read the server's limits", read_instance)
        user = self._network_user(me)
        self._remember(
            {
                **server_limits(instance),
                "account_id": user.id,
                "username": str(me.get("username") or user.handle),
            }
        )
        return user

    def mentions(self, since: str | None = None) -> list[Mention]:
        """Mentions after `since` (a notification id), oldest first. With `since`, pages forward from
        it (min_id); without, the newest pages going back (Link: rel="next"). Direct posts (private
        messages) are left to `direct_messages`."""
        return self._read_mentions(since, direct=False)

    def direct_messages(self, since: str | None = None) -> list[DirectMessage]:
        """Private messages to the account: mentions whose status has "direct" visibility, after the
        notification id `since`, oldest first."""
        return [
            DirectMessage(
                id=mention.id,
                text=mention.text,
                created_at=mention.created_at,
                sender=mention.author,
                conversation_id=mention.conversation_id or "",
                url=mention.url,
            )
            for mention in self._read_mentions(since, direct=True)
        ]

    def send_direct_message(
        self, recipient_handle: str, text: str, *, idempotency_key: str | None = None
    ) -> SentMessage:
        """A status with "direct" visibility that mentions the recipient (user or user@server). The
        server keeps the Idempotency-Key for an hour, so a retry does not send it twice."""
        handle = recipient_handle.strip().lstrip("@")
        if not handle:
            raise NetworkError("Say who the message is for.", permanent=True)
        status = self._call(
            "send the private message",
            lambda api: api.status_post(f"@{handle} {text}", visibility="direct", idempotency_key=idempotency_key),
            creates=True,
        )
        return SentMessage(id=str(status["id"]), url=status.get("url") or self._post_url(str(status["id"])))

    def _read_mentions(self, since: str | None, *, direct: bool) -> list[Mention]:
        found: dict[str, Mention] = {}
        if since:
            cursor = since
            for _page in range(10):
                page = self._call(
                    "read its mentions",
                    lambda api, cursor=cursor: api.notifications(types=["mention"], min_id=cursor, limit=80),
                )
                found.update(self._mentions_in(page, direct=direct))
                if len(page or []) < 80:
                    break
                cursor = max((str(n["id"]) for n in page), key=int)
        else:
            page = self._call("read its mentions", lambda api: api.notifications(types=["mention"], limit=80))
            for _page in range(10):
                found.update(self._mentions_in(page, direct=direct))
                if not page or getattr(page, "_pagination_next", None) is None:
                    break
                page = self._call("read its mentions", lambda api, current=page: api.fetch_next(current))
        return sorted(found.values(), key=lambda mention: int(mention.id))

    def _mentions_in(self, page, *, direct: bool = False) -> dict[str, Mention]:
        found = {}
        for notification in page or []:
            status = notification.get("status")
            if not status or (status.get("visibility") == "direct") != direct:
                continue
            found[str(notification["id"])] = Mention(
                id=str(notification["id"]),
                text=plain_text(status.get("content") or ""),
                created_at=_aware(status.get("created_at") or notification.get("created_at")),
                author=self._network_user(status.get("account") or notification.get("account") or {}),
                url=status.get("url") or "",
                in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
            )
        return found

    def followers(self, cursor: str | None = None) -> tuple[list[NetworkUser], str | None]:
        """One page of followers; the cursor is the `max_id` of the server's Link: rel="next"."""
        account_id = self._account_id()
        page = self._call(
            "read its followers", lambda api: api.account_followers(account_id, max_id=cursor or None, limit=80)
        )
        following = getattr(page, "_pagination_next", None)
        next_cursor = str(following["max_id"]) if following and following.get("max_id") is not None else None
        return [self._network_user(account) for account in page or []], next_cursor

    def user_by_handle(self, handle: str) -> NetworkUser:
        handle = handle.strip().lstrip("@")
        account = self._call("look up an account", lambda api: api.account_lookup(handle), missing_user=f"@{handle}")
        return self._network_user(account)

    def mute(self, user_id: str) -> None:
        self._call("mute an account", lambda api: api.account_mute(user_id), missing_user=user_id)

    def unmute(self, user_id: str) -> None:
        self._call("unmute an account", lambda api: api.account_unmute(user_id), missing_user=user_id)

    def block(self, user_id: str) -> None:
        self._call("block an account", lambda api: api.account_block(user_id), missing_user=user_id)

    def unblock(self, user_id: str) -> None:
        self._call("unblock an account", lambda api: api.account_unblock(user_id), missing_user=user_id)

    def follow(self, user_id: str) -> None:
        self._call("follow an account", lambda api: api.account_follow(user_id), missing_user=user_id)

    def unfollow(self, user_id: str) -> None:
        self._call("unfollow an account", lambda api: api.account_unfollow(user_id), missing_user=user_id)

    def remove_follower(self, user_id: str) -> None:
        self._call("remove a follower", lambda api: api.account_remove_from_followers(user_id), missing_user=user_id)

    def report(self, user_id: str, reason: str, post_ids: list[str] | None = None) -> None:
        """Report to the moderators of the account's server (and, for someone on another server,
        to theirs too: a school's report is worth their moderators seeing)."""
        comment = reason.strip()[:1000]
        self._call(
            "report an account",
            lambda api: api.report(
                user_id,
                status_ids=list(post_ids or []) or None,
                comment=comment or None,
                forward=True,
                category="other",
            ),
            missing_user=user_id,
        )

    def hide_reply(self, post_id: str) -> None:
        raise NetworkError(
            "Mastodon has no hidden replies. Mute or block the account that replied, or report it to the "
            "server's moderators instead.",
            permanent=True,
        )

    def block_url(self, user: NetworkUser) -> str:
        return user.url

    # Internals.

    @property
    def _server(self) -> str:
        server = self.facts.get("server")
        if not server:
            raise ReconnectNeeded(
                f"@{self.account.handle} is not connected to a Mastodon server yet. Connect it from the account's page."
            )
        return server

    @property
    def _server_name(self) -> str:
        return self.facts.get("domain") or urlsplit(self.facts.get("server", "")).netloc or "the Mastodon server"

    @property
    def _handle(self) -> str:
        username = self.facts.get("username") or self.account.handle
        domain = self.facts.get("domain")
        return f"@{username}@{domain}" if domain else f"@{username}"

    def _post_url(self, status_id: str) -> str:
        return post_url_on(self._server, self.facts.get("username") or self.account.handle, status_id)

    def _account_id(self) -> str:
        if not self.facts.get("account_id"):
            self.check_connection()
        return str(self.facts["account_id"])

    def _resolved_status_id(self, post_id: str) -> str:
        """The id on this account's server of a post given by id or address. An address on another
        server is looked up through this server's search with resolve=true, which fetches the
        post over ActivityPub when the server has not seen it yet."""
        post_id = post_id.strip()
        if post_id.isdigit():
            return post_id
        try:
            parts = urlsplit(post_id)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise NetworkError(f"“{post_id}” is not a link to a post on Mastodon.", permanent=True)
        if parts.netloc.lower() == urlsplit(self._server).netloc.lower():
            return self._status_id(post_id)
        found = self._call(
            "look up a post on another server",
            lambda api: api.search_v2(post_id, resolve=True, result_type="statuses", limit=1),
        )
        statuses = found.get("statuses") or []
        if not statuses:
            raise PostNotFound(
                f"{self._server_name} could not find the post {post_id} (it may have been deleted, or be private)."
            )
        return str(statuses[0]["id"])

    def _status_id(self, post_id: str) -> str:
        post_id = post_id.strip()
        if post_id.isdigit():
            return post_id
        try:
            parts = urlsplit(post_id)
        except ValueError:
            parts = None
        match = _STATUS_PATH.fullmatch(parts.path) if parts and parts.scheme in ("http", "https") else None
        if match is None:
            raise NetworkError(f"“{post_id}” is not a link to a post on Mastodon.", permanent=True)
        if parts.netloc.lower() != urlsplit(self._server).netloc.lower():
            raise NetworkError(
                f"The post {post_id} is on another server than {self._server_name}, where {self._handle} is, "
                "so the portal cannot read it.",
                permanent=True,
            )
        return match[1]

    def _client(self) -> Mastodon:
        access_token = self.credentials.get("access_token")
        if not access_token:
            raise ReconnectNeeded(
                f"{self._handle} is not connected to Mastodon yet. Connect it from the account's page."
            )
        if self._api is None:
            self._api = client(self._server, access_token=access_token)
        return self._api

    def _call(
        self,
        operation: str,
        call: Callable[[Mastodon], T],
        *,
        creates: bool = False,
        missing_post: str | None = None,
        missing_user: str | None = None,
    ) -> T:
        """Run one API call and turn everything the server or the network says into a NetworkError."""
        api = self._client()
        try:
            return call(api)
        except MastodonUnauthorizedError:
            raise ReconnectNeeded(
                f"{self._server_name} no longer accepts the portal's connection to {self._handle} (it was "
                "cancelled there, or the account changed). Connect it again from the account's page."
            ) from None
        except MastodonRatelimitError:
            return self._raise_rate_limited(api)
        except MastodonNotFoundError as exc:
            if missing_post is not None:
                raise PostNotFound(
                    f"Post {missing_post} is not on {self._server_name} (it may already have been deleted)."
                ) from exc
            if missing_user is not None:
                raise NetworkError(
                    f"{self._server_name} knows of no account {missing_user}. Check the handle (someone on "
                    "another server is written @name@their.server), or the account may have been deleted.",
                    permanent=True,
                ) from exc
            raise NetworkError(
                f"{self._server_name} could not {operation} for {self._handle}: {_server_said(exc)}", permanent=True
            ) from exc
        except MastodonServerError as exc:
            raise NetworkError(
                f"{self._server_name} had a problem and could not {operation} for {self._handle} just now "
                f"(HTTP {_status(exc)}). The portal will try again.",
                outcome_unknown=creates,
            ) from exc
        except MastodonAPIError as exc:
            raise self._refusal(exc, operation) from exc
        except MastodonNetworkError as exc:
            raise self._transport_error(exc, operation, creates) from exc
        except MastodonError as exc:
            raise NetworkError(
                f"The portal could not {operation} for {self._handle} on {self._server_name}: {exc}", permanent=True
            ) from exc

    def _raise_rate_limited(self, api: Mastodon):
        """Mastodon sends X-RateLimit-Reset with a 429. Mastodon.py keeps it only while it is in the
        future: a reset it dropped, after headers it did read, has already passed."""
        if api.ratelimit_reset is not None:
            wait = api.ratelimit_reset - time.time()
        elif api.ratelimit_lastcall is not None:
            wait = 1.0
        else:
            wait = DEFAULT_RATE_LIMIT_WAIT_SECONDS
        retry_after = max(1.0, wait)
        raise NetworkError(
            f"{self._server_name} is limiting how often the portal can use {self._handle} for now. "
            f"It will try again after {_when(retry_after)}.",
            retry_after=retry_after,
        )

    def _refusal(self, exc: MastodonAPIError, operation: str) -> NetworkError:
        """A 4xx the server explained: 422 is its validation (too long, a bad photo), 403 a missing
        permission. Most are permanent; "not finished processing" just needs a moment."""
        status, said = _status(exc), _server_said(exc)
        if status == 422 and "processing" in said.lower():
            return NetworkError(
                f"{self._server_name} is still preparing a photo for {self._handle}. The portal will try again."
            )
        if status == 403:
            return NetworkError(
                f"{self._server_name} did not let the portal {operation} for {self._handle}. It said: {said}. "
                "Connecting the account again, and approving everything on the server's page, usually fixes this.",
                permanent=True,
            )
        return NetworkError(
            f"{self._server_name} refused to {operation} for {self._handle}. It said: {said}", permanent=True
        )

    def _transport_error(self, exc: MastodonNetworkError, operation: str, creates: bool) -> NetworkError:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ForbiddenPeer):
            return NetworkError(str(cause), permanent=True)
        if _nothing_sent(cause):
            return NetworkError(
                f"The portal could not reach {self._server_name} to {operation} for {self._handle}. "
                "The server may be down; the portal will try again."
            )
        if isinstance(cause, requests.Timeout):
            message = f"{self._server_name} did not answer in time when asked to {operation} for {self._handle}."
        else:
            message = f"The connection to {self._server_name} broke while asking it to {operation} for {self._handle}."
        message += " The portal will try again."
        return NetworkError(message, outcome_unknown=creates)

    def _remember(self, changes: dict) -> None:
        """Keep what the server said about the account and its limits on the account."""
        self.facts = {**self.facts, **changes}
        if self.account.pk is not None:
            with transaction.atomic():
                row = SocialAccount.objects.select_for_update().only("id", "network_settings").get(pk=self.account.pk)
                row.network_settings = {**(row.network_settings or {}), **changes}
                row.save(update_fields=["network_settings"])
                self.facts = dict(row.network_settings)
        self.account.network_settings = self.facts

    def _network_user(self, account: Any) -> NetworkUser:
        acct = str(account.get("acct") or account.get("username") or "")
        return NetworkUser(
            id=str(account.get("id") or ""),
            handle=acct,
            display_name=str(account.get("display_name") or ""),
            description=plain_text(account.get("note") or ""),
            created_at=_aware(account.get("created_at")) if account.get("created_at") else None,
            followers_count=account.get("followers_count"),
            following_count=account.get("following_count"),
            posts_count=account.get("statuses_count"),
            url=str(account.get("url") or ""),
            is_private=account.get("locked") if isinstance(account.get("locked"), bool) else None,
        )


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(html: str) -> str:
    """A status's text as people read it: Mastodon sends it as HTML (paragraphs, links, mentions)."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return timezone.now()


def _status(exc: MastodonAPIError) -> int | None:
    return exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None


def _server_said(exc: MastodonAPIError) -> str:
    said = exc.args[3] if len(exc.args) > 3 and exc.args[3] else ""
    if not said and len(exc.args) > 2:
        said = f"HTTP {exc.args[1]} {exc.args[2] or ''}".strip()
    return str(said or exc)


def _nothing_sent(cause: BaseException | None) -> bool:
    """True when the request never reached the server (refused, no route, name not found, connect timeout)."""
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if not isinstance(cause, requests.ConnectionError):
        return False
    reason = cause.args[0] if cause.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


def _when(seconds: float) -> str:
    moment = timezone.localtime(timezone.now() + timedelta(seconds=seconds))
    if moment.date() == timezone.localdate():
        return f"{moment:%H:%M}"
    return f"{moment:%H:%M} on {moment.day} {moment:%B}"
