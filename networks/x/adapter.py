"""X (formerly Twitter) through its v2 API: tweepy's `Client` for posts, reads and moderation calls,
`requests` for the v2 media upload (tweepy 4.17 still uploads through the retired v1.1 host) and for
OAuth 2.0 token refresh.

Every call goes to settings.X_API_BASE_URL / X_UPLOAD_BASE_URL with X_TIMEOUT_SECONDS, so tests (and
an operator's `network_post`) can run the same code against the stub server in tests/xstub.py.

Credentials (SocialAccount.credentials, encrypted), written by the "Connect to X" views:
  OAuth 2.0:  {"auth": "oauth2", "access_token", "refresh_token"?, "expires_at"?, "scope", "user_id", "username"}
  OAuth 1.0a: {"auth": "oauth1", "access_token", "access_token_secret", "user_id", "username"}
              with the portal's consumer key and secret from settings.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import requests
import tweepy
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests_oauthlib import OAuth1
from urllib3.exceptions import NewConnectionError

from accounts.models import SocialAccount
from networks.base import (
    Capabilities,
    DirectMessage,
    DuplicateContent,
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

T = TypeVar("T")

PAID_TIERS = frozenset({"basic", "pro", "enterprise"})
# Refresh an OAuth 2.0 access token this close to its expiry rather than wait for a 401.
REFRESH_MARGIN_SECONDS = 300
# X gives no reset time for its monthly usage cap: look again after a day.
USAGE_CAP_RETRY_SECONDS = 24 * 3600
USER_FIELDS = ["created_at", "description", "name", "protected", "public_metrics", "username"]


def tier_capabilities(tier: str) -> Capabilities:
    """What the portal can do on X with the app's access tier (see the README on X's tiers)."""
    return Capabilities(
        max_length=280,
        length_rule=LengthRule.X_WEIGHTED,
        max_images=4,
        max_image_bytes=5 * 1024 * 1024,
        alt_text_limit=1000,
        supports_block=tier == "enterprise",
        supports_idempotency_key=False,
        supports_follower_list=tier in PAID_TIERS,
        supports_mute=tier in PAID_TIERS,
        supports_hide_reply=True,
        shows_link_previews=True,
        supports_repost=True,
        supports_direct_messages=tier in PAID_TIERS,
        direct_messages_note=(
            "Private messages on X are read by the account and the person written to; X keeps them too."
            if tier in PAID_TIERS
            else "X lets apps send and read private messages only with paid API access (this portal's X app is "
            f"on the {tier} tier). Send the message from the account on x.com, and check its messages there."
        ),
    )


class _TierCapabilities:
    """`XNetwork.capabilities`, read from settings.X_API_TIER on each access (class or instance)."""

    def __get__(self, instance, owner) -> Capabilities:
        return tier_capabilities(settings.X_API_TIER)


def x_profile_url(username: str) -> str:
    return f"https://x.com/{username}"


def x_post_url(username: str, post_id: str) -> str:
    return f"https://x.com/{username}/status/{post_id}"


# HTTP: tweepy's client with our base URL and timeout.


def raise_for_x_status(response: requests.Response) -> None:
    """tweepy's exception for an unsuccessful response, exactly as tweepy's own client raises them."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
    errors = {400: tweepy.BadRequest, 401: tweepy.Unauthorized, 403: tweepy.Forbidden, 404: tweepy.NotFound}
    if status in errors:
        raise errors[status](response)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    raise tweepy.HTTPException(response)


class XClient(tweepy.Client):
    """tweepy's v2 client, sending to settings.X_API_BASE_URL with a timeout.

    tweepy 4.17's `BaseClient.request` hard-codes `https://api.twitter.com` and sets no timeout, so
    this overrides it (same auth and errors). The account's user id comes from the adapter, which
    knows it, instead of tweepy's own GET /2/users/me per client.
    """

    def __init__(self, *, user_id: Callable[[], str], **kwargs):
        super().__init__(**kwargs)
        self._user_id = user_id

    def send(self, method: str, url: str, *, params=None, json=None, user_auth: bool = False) -> requests.Response:
        headers = {"User-Agent": self.user_agent}
        auth = None
        if user_auth:
            auth = OAuth1(self.consumer_key, self.consumer_secret, self.access_token, self.access_token_secret)
        else:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        response = self.session.request(
            method, url, params=params, json=json, headers=headers, auth=auth, timeout=settings.X_TIMEOUT_SECONDS
        )
        raise_for_x_status(response)
        return response

    def request(self, method, route, params=None, json=None, user_auth=False):
        return self.send(
            method, settings.X_API_BASE_URL.rstrip("/") + route, params=params, json=json, user_auth=user_auth
        )

    def _get_authenticating_user_id(self, *, oauth_1=False):
        return self._user_id()


# OAuth 2.0 refresh (also used by the "Connect to X" views).


def refresh_credentials(credentials: dict) -> dict:
    """Spend the refresh token at X and return the credentials with the new tokens (X rotates the
    refresh token: the old one stops working). ReconnectNeeded when X refuses it; a transient
    NetworkError when X could not be reached."""
    handle = _handle_in(credentials)
    refresh_token = credentials.get("refresh_token")
    if credentials.get("auth") != "oauth2" or not refresh_token:
        raise ReconnectNeeded(_reconnect_message(handle))
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": settings.X_CLIENT_ID}
    auth = (settings.X_CLIENT_ID, settings.X_CLIENT_SECRET) if settings.X_CLIENT_SECRET else None
    try:
        response = requests.post(
            settings.X_API_BASE_URL.rstrip("/") + "/2/oauth2/token",
            data=data,
            auth=auth,
            timeout=settings.X_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise NetworkError(
            f"The portal could not reach X to renew its connection to {handle}. It will try again.",
        ) from exc
    if response.status_code >= 500:
        raise NetworkError(f"X could not renew the portal's connection to {handle} just now. It will try again.")
    if response.status_code != 200:
        raise ReconnectNeeded(_reconnect_message(handle))
    issued = response.json()
    renewed = {
        **credentials,
        "access_token": issued["access_token"],
        "refresh_token": issued.get("refresh_token", refresh_token),
        "scope": issued.get("scope", credentials.get("scope", "")),
    }
    if "expires_in" in issued:
        renewed["expires_at"] = time.time() + float(issued["expires_in"])
    else:
        renewed.pop("expires_at", None)
    return renewed


def _handle_in(credentials: dict, fallback: str = "") -> str:
    username = credentials.get("username") or fallback
    return f"@{username}" if username else "this X account"


def _reconnect_message(handle: str) -> str:
    return f"X no longer accepts the portal's connection to {handle}. Reconnect it from the account's page."


def _expiring(credentials: dict) -> bool:
    expires_at = credentials.get("expires_at")
    return expires_at is not None and float(expires_at) - time.time() < REFRESH_MARGIN_SECONDS


# The adapter.


class XNetwork(Network):
    label = "X"
    capabilities = _TierCapabilities()

    def __init__(self, account: SocialAccount):
        super().__init__(account)
        self.credentials: dict = dict(account.credentials or {})
        self._cached_client: tuple[str, XClient] | None = None

    # Posts.

    def publish(self, payload: PostPayload, *, idempotency_key: str | None = None) -> ExternalRef:
        """X has no idempotency key: an unknown outcome is reconciled by the caller through
        `recent_own_posts` (DuplicateContent and outcome_unknown say when)."""
        self.check_payload(payload)
        response = self._call(
            "publish the post",
            lambda client: client.create_tweet(
                text=payload.text,
                media_ids=list(payload.media) or None,
                quote_tweet_id=payload.quote_of,
                in_reply_to_tweet_id=payload.reply_to,
                user_auth=self._oauth1,
            ),
            creates=True,
        )
        post_id = str(response.data["id"])
        return ExternalRef(id=post_id, url=x_post_url(self._username(), post_id))

    def delete(self, ref_id: str) -> None:
        self._call(
            "delete the post", lambda client: client.delete_tweet(ref_id, user_auth=self._oauth1), missing_post=ref_id
        )

    def recent_own_posts(self, limit: int = 20) -> list[OwnPost]:
        user_id, username = self._user_id(), self._username()
        response = self._call(
            "read its recent posts",
            lambda client: client.get_users_tweets(
                user_id, max_results=min(max(limit, 5), 100), tweet_fields=["created_at"], user_auth=self._oauth1
            ),
        )
        return [
            OwnPost(
                id=str(post.id),
                text=post.text,
                created_at=post.created_at or timezone.now(),
                url=x_post_url(username, str(post.id)),
            )
            for post in (response.data or [])[:limit]
        ]

    def fetch_post(self, post_id: str) -> FetchedPost:
        """Someone's post with its author's username. X answers a post it does not have (or will
        not show) with 200 and an error list rather than a 404."""
        response = self._call(
            "read a post",
            lambda client: client.get_tweet(
                post_id,
                expansions=["author_id", "attachments.media_keys"],
                user_fields=["username"],
                tweet_fields=["created_at", "entities"],
                media_fields=["url", "preview_image_url", "alt_text"],
                user_auth=self._oauth1,
            ),
        )
        post = response.data
        if post is None:
            problems = [error for error in response.errors or [] if isinstance(error, dict)]
            if not problems or any("not-found" in str(error.get("type", "")) for error in problems):
                raise PostNotFound(f"There is no post {post_id} on X (it may have been deleted).")
            detail = "; ".join(str(error.get("detail") or error.get("title") or "") for error in problems)
            raise NetworkError(f"X would not show post {post_id}. X said: {detail}", permanent=True)
        authors = {str(user.id): user.username for user in response.includes.get("users", [])}
        handle = authors.get(str(post.author_id), "")
        return FetchedPost(
            id=str(post.id),
            text=_with_expanded_links(post.text, post.entities),
            author_handle=handle,
            url=x_post_url(handle or "i/web", str(post.id)),
            media=tuple(
                FetchedMedia(url=media.url or media.preview_image_url or "", alt_text=media.alt_text or "")
                for media in response.includes.get("media", [])
            ),
        )

    def repost(self, post_id: str) -> ExternalRef:
        """POST /2/users/{id}/retweets. X answers a repeat with the same repost, so a retry after a
        lost answer cannot repost twice; the publisher still reconciles first (`find_repost`)."""
        response = self._call(
            "repost the post",
            lambda client: client.retweet(post_id, user_auth=self._oauth1),
            creates=True,
            missing_post=post_id,
        )
        data = response.data or {}
        if not data.get("retweeted"):
            raise NetworkError(f"X did not repost post {post_id}.", permanent=True)
        return ExternalRef(id=str(data.get("rest_id") or post_id), url=x_post_url("i/web", post_id))

    def undo_repost(self, repost_id: str, post_id: str) -> None:
        """DELETE /2/users/{id}/retweets/{source_tweet_id}: X undoes a repost by the reposted post's id."""
        self._call(
            "undo the repost",
            lambda client: client.unretweet(post_id, user_auth=self._oauth1),
            missing_post=post_id,
        )

    def find_repost(self, post_id: str) -> ExternalRef | None:
        """The account's repost of `post_id` among its recent posts (X lists reposts there, each
        referring to the post it reposts)."""
        user_id = self._user_id()
        response = self._call(
            "read its recent posts",
            lambda client: client.get_users_tweets(
                user_id, max_results=100, expansions=["referenced_posts"], user_auth=self._oauth1
            ),
        )
        for post in response.data or []:
            # X's description names the references "referenced_posts"; older answers "referenced_tweets".
            references = post.data.get("referenced_posts") or post.data.get("referenced_tweets") or []
            for referenced in references:
                if referenced.get("type") == "retweeted" and str(referenced.get("id")) == str(post_id):
                    return ExternalRef(id=str(post.id), url=x_post_url("i/web", str(post_id)))
        return None

    def upload_media(self, image: bytes, alt_text: str) -> MediaRef:
        """X's v2 simple upload (JSON, the image base64-encoded), then the alt text as media metadata."""
        self.check_media(image, alt_text)
        body = {"media": base64.b64encode(image).decode(), "media_category": "tweet_image"}
        upload_url = settings.X_UPLOAD_BASE_URL.rstrip("/") + "/2/media/upload"
        response = self._call(
            "upload the image",
            lambda client: client.send("POST", upload_url, json=body, user_auth=self._oauth1),
            creates=True,
        )
        media_id = str(response.json()["data"]["id"])
        if alt_text:
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": alt_text}}}
            metadata_url = settings.X_API_BASE_URL.rstrip("/") + "/2/media/metadata"
            self._call(
                "add the image description",
                lambda client: client.send("POST", metadata_url, json=metadata, user_auth=self._oauth1),
            )
        return media_id

    # The account and the people around it.

    def check_connection(self) -> NetworkUser:
        response = self._call(
            "check the connection", lambda client: client.get_me(user_fields=USER_FIELDS, user_auth=self._oauth1)
        )
        me = _network_user(response.data)
        known = {"user_id": self.credentials.get("user_id"), "username": self.credentials.get("username")}
        if known != {"user_id": me.id, "username": me.handle}:
            self._remember({"user_id": me.id, "username": me.handle})
        return me

    def mentions(self, since: str | None = None) -> list[Mention]:
        user_id = self._user_id()
        found: list[Mention] = []
        token = None
        for _page in range(10):
            response = self._call(
                "read its mentions",
                lambda client, token=token: client.get_users_mentions(
                    user_id,
                    since_id=since,
                    pagination_token=token,
                    max_results=100,
                    expansions=["author_id"],
                    user_fields=["name", "username"],
                    tweet_fields=["created_at", "conversation_id"],
                    user_auth=self._oauth1,
                ),
            )
            authors = {str(user.id): _network_user(user) for user in response.includes.get("users", [])}
            for post in response.data or []:
                author = authors.get(str(post.author_id)) or NetworkUser(id=str(post.author_id), handle="")
                # X's published description offers no field for the replied-to post in mentions;
                # when X includes referenced posts anyway, use them.
                replied_to = next((r["id"] for r in post.referenced_tweets or [] if r["type"] == "replied_to"), None)
                found.append(
                    Mention(
                        id=str(post.id),
                        text=post.text,
                        created_at=post.created_at or timezone.now(),
                        author=author,
                        url=x_post_url(author.handle or "i", str(post.id)),
                        in_reply_to=str(replied_to) if replied_to else None,
                        conversation_id=str(post.conversation_id) if post.conversation_id else None,
                    )
                )
            token = response.meta.get("next_token")
            if not token:
                break
        return sorted(found, key=lambda mention: int(mention.id))

    # Private messages (issue 18): X's v2 direct message events, on paid tiers only.

    def send_direct_message(
        self, recipient_handle: str, text: str, *, idempotency_key: str | None = None
    ) -> SentMessage:
        """One-to-one message by the recipient's user id. X has no idempotency key for messages:
        a timeout after sending is an unknown outcome the caller must not blindly retry."""
        self._require_direct_messages("Sending private messages")
        recipient = self.user_by_handle(recipient_handle)
        response = self._call(
            "send the private message",
            lambda client: client.create_direct_message(participant_id=recipient.id, text=text, user_auth=self._oauth1),
            creates=True,
        )
        data = response.data or {}
        return SentMessage(id=str(data.get("dm_event_id", "")), conversation_id=str(data.get("dm_conversation_id", "")))

    def direct_messages(self, since: str | None = None) -> list[DirectMessage]:
        """X lists message events newest first with no "since": read pages until `since` is reached.
        Only messages others sent count (the account's own are in the same list)."""
        self._require_direct_messages("Reading private messages")
        user_id = self._user_id()
        floor = int(since) if since and since.isdecimal() else 0
        found: list[DirectMessage] = []
        token = None
        for _page in range(10):
            response = self._call(
                "read its private messages",
                lambda client, token=token: client.get_direct_message_events(
                    event_types="MessageCreate",
                    dm_event_fields=["created_at", "dm_conversation_id", "text"],
                    expansions=["sender_id"],
                    user_fields=["name", "username"],
                    max_results=100,
                    pagination_token=token,
                    user_auth=self._oauth1,
                ),
            )
            senders = {str(user.id): _network_user(user) for user in response.includes.get("users", [])}
            reached_since = False
            for event in response.data or []:
                if int(event.id) <= floor:
                    reached_since = True
                    continue
                sender_id = str(event.sender_id or "")
                if not sender_id or sender_id == user_id:
                    continue
                found.append(
                    DirectMessage(
                        id=str(event.id),
                        text=event.text or "",
                        created_at=event.created_at or timezone.now(),
                        sender=senders.get(sender_id) or NetworkUser(id=sender_id, handle=""),
                        conversation_id=str(event.dm_conversation_id or ""),
                    )
                )
            token = response.meta.get("next_token")
            if reached_since or not token:
                break
        return sorted(found, key=lambda message: int(message.id))

    def _require_direct_messages(self, operation: str) -> None:
        caps = self.capabilities
        if not caps.supports_direct_messages:
            raise NetworkError(f"{self._unavailable(operation).message} {caps.direct_messages_note}", permanent=True)

    def followers(self, cursor: str | None = None) -> tuple[list[NetworkUser], str | None]:
        user_id = self._user_id()
        response = self._call(
            "read its followers",
            lambda client: client.get_users_followers(
                user_id, max_results=1000, pagination_token=cursor, user_fields=USER_FIELDS, user_auth=self._oauth1
            ),
        )
        return [_network_user(user) for user in response.data or []], response.meta.get("next_token")

    def user_by_handle(self, handle: str) -> NetworkUser:
        handle = handle.lstrip("@")
        response = self._call(
            "look up an account",
            lambda client: client.get_user(username=handle, user_fields=USER_FIELDS, user_auth=self._oauth1),
        )
        if response.data is None:
            raise NetworkError(f"There is no account @{handle} on X.", permanent=True)
        return _network_user(response.data)

    def mute(self, user_id: str) -> None:
        self._user_id()
        self._call("mute an account", lambda client: client.mute(user_id, user_auth=self._oauth1))

    def unmute(self, user_id: str) -> None:
        self._user_id()
        self._call("unmute an account", lambda client: client.unmute(user_id, user_auth=self._oauth1))

    def follow(self, user_id: str) -> None:
        self._user_id()
        self._call("follow an account", lambda client: client.follow_user(user_id, user_auth=self._oauth1))

    def unfollow(self, user_id: str) -> None:
        self._user_id()
        self._call("unfollow an account", lambda client: client.unfollow_user(user_id, user_auth=self._oauth1))

    def hide_reply(self, post_id: str) -> None:
        self._call("hide a reply", lambda client: client.hide_reply(post_id, user_auth=self._oauth1))

    def block(self, user_id: str) -> None:
        """Only X's Enterprise tier may block through the API (tweepy 4.15 dropped its block methods)."""
        self._require_block_tier("Blocking an account")
        source = self._user_id()
        self._call(
            "block an account",
            lambda client: client._make_request(
                "POST", f"/2/users/{source}/blocking", json={"target_user_id": str(user_id)}, user_auth=self._oauth1
            ),
        )

    def unblock(self, user_id: str) -> None:
        self._require_block_tier("Unblocking an account")
        source = self._user_id()
        self._call(
            "unblock an account",
            lambda client: client._make_request(
                "DELETE", f"/2/users/{source}/blocking/{user_id}", user_auth=self._oauth1
            ),
        )

    def block_url(self, user: NetworkUser) -> str:
        return x_profile_url(user.handle) if user.handle else user.url

    # Internals.

    @property
    def _oauth1(self) -> bool:
        return self.credentials.get("auth") == "oauth1"

    @property
    def _handle(self) -> str:
        return _handle_in(self.credentials, self.account.handle)

    def _require_block_tier(self, operation: str) -> None:
        if not self.capabilities.supports_block:
            raise NetworkError(
                f"{self._unavailable(operation).message} Blocking through X's API needs X's Enterprise tier "
                f"(this portal's X app is on the {settings.X_API_TIER} tier): block the account on x.com "
                "instead, and the portal keeps its own record.",
                permanent=True,
            )

    def _username(self) -> str:
        if not self.credentials.get("username"):
            self.check_connection()
        return self.credentials["username"]

    def _user_id(self) -> str:
        if not self.credentials.get("user_id"):
            self.check_connection()
        return str(self.credentials["user_id"])

    def _client(self) -> XClient:
        """One client (and HTTP connection pool) per access token, so a refresh gets a new one."""
        access_token = self.credentials.get("access_token")
        if not access_token:
            raise ReconnectNeeded(f"{self._handle} is not connected to X yet. Connect it from the account's page.")
        cached = self._cached_client
        if cached is None or cached[0] != access_token:
            if cached is not None:
                cached[1].session.close()
            self._cached_client = (access_token, self._new_client())
        return self._cached_client[1]

    def _new_client(self) -> XClient:
        if self._oauth1:
            return XClient(
                user_id=self._user_id,
                consumer_key=settings.X_CONSUMER_KEY,
                consumer_secret=settings.X_CONSUMER_SECRET,
                access_token=self.credentials["access_token"],
                access_token_secret=self.credentials.get("access_token_secret", ""),
            )
        return XClient(user_id=self._user_id, bearer_token=self.credentials["access_token"])

    def _call(
        self, operation: str, call: Callable[[XClient], T], *, creates: bool = False, missing_post: str | None = None
    ) -> T:
        """Run one API call: refresh an expiring OAuth 2.0 token first; after a 401, refresh once and
        try again; turn everything else X or the network says into a NetworkError."""
        if self._can_refresh() and _expiring(self.credentials):
            self._refresh(self.credentials["access_token"])
        try:
            return self._attempt(operation, call, creates, missing_post)
        except tweepy.Unauthorized:
            if not self._can_refresh():
                raise ReconnectNeeded(_reconnect_message(self._handle)) from None
        self._refresh(self.credentials["access_token"])
        try:
            return self._attempt(operation, call, creates, missing_post)
        except tweepy.Unauthorized:
            raise ReconnectNeeded(_reconnect_message(self._handle)) from None

    def _attempt(self, operation: str, call: Callable[[XClient], T], creates: bool, missing_post: str | None) -> T:
        try:
            return call(self._client())
        except tweepy.Unauthorized:
            raise
        except tweepy.HTTPException as exc:
            raise self._http_error(exc, operation, creates, missing_post) from exc
        except requests.RequestException as exc:
            raise self._transport_error(exc, operation, creates) from exc

    def _http_error(
        self, exc: tweepy.HTTPException, operation: str, creates: bool, missing_post: str | None
    ) -> NetworkError:
        handle, detail = self._handle, _detail(exc)
        status = exc.response.status_code
        if status == 403 and any("duplicate content" in message.lower() for message in exc.api_messages):
            return DuplicateContent(
                f"X refused the post because {handle} already has a post with exactly the same text."
            )
        if status == 403:
            return NetworkError(
                f"X did not let the portal {operation} on {handle}: it is not permitted with this portal's X API "
                f"access (its tier, or the app's permissions on X's developer portal). X said: {detail}",
                permanent=True,
            )
        if status == 404 and missing_post is not None:
            return PostNotFound(f"Post {missing_post} is not on {handle} (it may already have been deleted).")
        if status in (400, 404):
            return NetworkError(f"X refused to {operation} on {handle}. X said: {detail}", permanent=True)
        if isinstance(exc, tweepy.TooManyRequests):
            return self._rate_limit_error(exc)
        return NetworkError(
            f"X had a problem and could not {operation} on {handle} just now (HTTP {status}). "
            "The portal will try again.",
            outcome_unknown=creates,
        )

    def _rate_limit_error(self, exc: tweepy.TooManyRequests) -> NetworkError:
        body = _json(exc.response)
        usage_cap = "usagecap" in str(body.get("title", "")).lower().replace(" ", "") or "usage-cap" in str(
            body.get("type", "")
        )
        wait = float(exc.reset_time) - time.time() if exc.reset_time else None
        if usage_cap:
            wait = max(wait or 0, USAGE_CAP_RETRY_SECONDS)
            retry_after = max(1.0, wait)
            return NetworkError(
                f"This portal's X app has used up the monthly allowance of its X API plan, so X accepts nothing "
                f"from {self._handle} until the allowance renews or the plan is upgraded. The portal will try "
                f"again after {_when(retry_after)}.",
                retry_after=retry_after,
            )
        retry_after = max(1.0, wait if wait is not None else 15 * 60)
        return NetworkError(
            f"X is limiting how often the portal can use {self._handle} for now. "
            f"It will try again after {_when(retry_after)}.",
            retry_after=retry_after,
        )

    def _transport_error(self, exc: requests.RequestException, operation: str, creates: bool) -> NetworkError:
        if _nothing_sent(exc):
            return NetworkError(
                f"The portal could not reach X to {operation} on {self._handle}. It will try again.",
            )
        if isinstance(exc, requests.Timeout):
            message = f"X did not answer in time when asked to {operation} on {self._handle}."
        else:
            message = f"The connection to X broke while asking it to {operation} on {self._handle}."
        if creates:
            message += " The portal will check what X has before trying again."
        else:
            message += " The portal will try again."
        return NetworkError(message, outcome_unknown=creates)

    def _can_refresh(self) -> bool:
        return self.credentials.get("auth") == "oauth2" and bool(self.credentials.get("refresh_token"))

    def _refresh(self, stale_access_token: str) -> None:
        """Renew the OAuth 2.0 tokens, at most once across workers: the account row stays locked while
        the refresh token is spent (X rotates it, so a second spend would fail and disconnect the
        account). A worker that finds the stored token already renewed uses that one instead. This is
        the one network call made inside a transaction, on purpose."""
        if self.account.pk is None:
            self.credentials = refresh_credentials(self.credentials)
            self.account.credentials = self.credentials
            return
        with transaction.atomic():
            row = SocialAccount.objects.select_for_update().only("id", "credentials").get(pk=self.account.pk)
            stored = row.credentials or {}
            if not stored.get("access_token"):
                # Disconnected meanwhile: never bring back a connection the headteacher removed.
                raise ReconnectNeeded(_reconnect_message(self._handle))
            if stored["access_token"] != stale_access_token and not _expiring(stored):
                self.credentials = stored
            else:
                self.credentials = refresh_credentials(stored)
                row.credentials = self.credentials
                row.save(update_fields=["credentials"])
        self.account.credentials = self.credentials

    def _remember(self, changes: dict) -> None:
        """Keep facts learnt from X (the account's user id and username) with the credentials."""
        self.credentials = {**self.credentials, **changes}
        if self.account.pk is not None:
            with transaction.atomic():
                row = SocialAccount.objects.select_for_update().only("id", "credentials").get(pk=self.account.pk)
                if (row.credentials or {}).get("access_token"):
                    row.credentials = {**row.credentials, **changes}
                    row.save(update_fields=["credentials"])
        self.account.credentials = self.credentials


def _network_user(user: Any) -> NetworkUser:
    metrics = getattr(user, "public_metrics", None) or {}
    created_at = getattr(user, "created_at", None)
    return NetworkUser(
        id=str(user.id),
        handle=user.username,
        display_name=user.name or "",
        description=getattr(user, "description", None) or "",
        created_at=created_at if isinstance(created_at, datetime) else None,
        followers_count=metrics.get("followers_count"),
        following_count=metrics.get("following_count"),
        posts_count=metrics.get("tweet_count"),
        url=x_profile_url(user.username),
        is_private=getattr(user, "protected", None),
    )


def _with_expanded_links(text: str, entities: dict | None) -> str:
    """A post's text with X's t.co links replaced by the addresses they stand for, as X shows them."""
    for link in (entities or {}).get("urls", []):
        short, full = link.get("url"), link.get("expanded_url")
        if short and full:
            text = text.replace(short, full)
    return text


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(exc: tweepy.HTTPException) -> str:
    messages = [m for m in exc.api_messages if m]
    return "; ".join(messages) if messages else f"HTTP {exc.response.status_code} {exc.response.reason or ''}".strip()


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True when the request never reached X (refused, no route, name not found, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


def _when(seconds: float) -> str:
    """A time of day a headteacher can read ("14:05", or "14:05 on 3 December" when not today)."""
    moment = timezone.localtime(timezone.now() + timedelta(seconds=seconds))
    if moment.date() == timezone.localdate():
        return f"{moment:%H:%M}"
    return f"{moment:%H:%M} on {moment.day} {moment:%B}"
