"""Bluesky through the AT Protocol SDK (`atproto`): posts, photos, reads and moderation calls.

The SDK's `Client` talks to the account's PDS (its home server), found when the account is
connected; the first sign-in goes to settings.BLUESKY_SERVICE_URL, so tests (and an operator's
`network_post`) run the same code against the stub server in tests/blueskystub.py. Every call has
settings.BLUESKY_TIMEOUT_SECONDS.

Credentials (SocialAccount.credentials, encrypted), written by `networks.bluesky.connect`:
  {"auth": "app_password", "did", "handle", "pds", "access_jwt", "refresh_jwt"}
The app password itself is never kept: the session's refresh token renews the session, and when
Bluesky refuses it the headteacher connects again (ReconnectNeeded).

Post ids: "<did>/<rkey>" (an at:// URI without its fixed parts, so it fits the 64 characters the
portal keeps for a network id); `post_uri` turns one back into the at:// URI, and full at:// URIs
are accepted wherever an id is.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from atproto_client import Client
from atproto_client import exceptions as atp
from atproto_client.client.session import Session, SessionEvent
from atproto_client.models.blob_ref import BlobRef, IpldLink
from atproto_client.request import Request
from atproto_client.utils import facet_detection
from django.conf import settings
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

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
from networks.text import grapheme_count

log = logging.getLogger(__name__)
T = TypeVar("T")

POST_COLLECTION = "app.bsky.feed.post"
CHAT_NOTE = (
    "The portal sends and reads Bluesky's private messages only if the account was connected with an app "
    "password that allows access to direct messages. Bluesky's messages are not end-to-end encrypted."
)
CHAT_SCOPE_REFUSED = (
    "The app password the portal uses for {handle} does not allow direct messages. In Bluesky, open Settings, "
    "Privacy and security, App passwords, add one with “Allow access to your direct messages” ticked, and "
    "connect the account again with it. Until then, send and read its messages in Bluesky's own app."
)
THREADGATE_COLLECTION = "app.bsky.feed.threadgate"
BLOCK_COLLECTION = "app.bsky.graph.block"
REPOST_COLLECTION = "app.bsky.feed.repost"
MAX_GRAPHEMES = 300
# The post lexicon also caps the text at 3,000 bytes of UTF-8: 300 family emoji (18 bytes each)
# are 300 graphemes but 5,400 bytes, and Bluesky refuses them.
MAX_TEXT_BYTES = 3000
# The images lexicon (app.bsky.embed.images#image) now allows 2,000,000 bytes and says it was
# "formerly limited to 1 MB"; a PDS that has not been updated still refuses more than 1,000,000.
# The portal sends at most 1,000,000 so a post goes out whichever PDS the school's account is on.
MAX_IMAGE_BYTES = 1_000_000
# Bluesky's app lets an image description run to 2,000 graphemes (MAX_ALT_TEXT in the app's
# src/lib/constants.ts); the lexicon itself sets no limit.
ALT_TEXT_GRAPHEMES = 2000
# A photo is never shrunk below this on its longer side: past it, detail a parent would want is lost.
MIN_LONG_SIDE = 640
# Bluesky's threadgate keeps at most this many hidden replies per thread.
MAX_HIDDEN_REPLIES = 300
# How long to wait after a 429 that gave no reset time.
DEFAULT_RATE_LIMIT_WAIT = 300.0
# Pages of 100 block records read when looking for one in the account's own repository.
MAX_BLOCK_PAGES = 50

# Who may reply, by the names `Network.set_reply_controls` takes, as threadgate rules.
_REPLY_RULES: dict[str, list[dict] | None] = {
    "everyone": None,
    "mentioned": [{"$type": "app.bsky.feed.threadgate#mentionRule"}],
    "following": [{"$type": "app.bsky.feed.threadgate#followingRule"}],
    "nobody": [],
}


def capabilities() -> Capabilities:
    return Capabilities(
        max_length=MAX_GRAPHEMES,
        length_rule=LengthRule.GRAPHEMES,
        max_text_bytes=MAX_TEXT_BYTES,
        max_images=4,
        max_image_bytes=MAX_IMAGE_BYTES,
        alt_text_limit=ALT_TEXT_GRAPHEMES,
        supports_block=True,
        supports_idempotency_key=False,
        supports_follower_list=True,
        supports_hide_reply=True,
        # Bluesky shows a link card only when the poster sends one (an external embed); the portal
        # sends none, so a post shows exactly the words that were approved.
        shows_link_previews=False,
        supports_mute=True,
        supports_report=True,
        supports_remove_follower=False,
        supports_reply_controls=True,
        supports_repost=True,
        # Bluesky's chat, through the account's server (the chat service proxy), when the app password
        # the account was connected with allows direct messages.
        supports_direct_messages=True,
        direct_messages_note=CHAT_NOTE,
    )


# Post ids and addresses.


def post_uri(post_id: str) -> str:
    """The at:// URI of a post id ("<did>/<rkey>", or an at:// URI already)."""
    if post_id.startswith("at://"):
        return post_id
    repo, _, rkey = post_id.partition("/")
    if not repo or not rkey or "/" in rkey:
        raise NetworkError(f"“{post_id}” is not a Bluesky post id.", permanent=True)
    return f"at://{repo}/{POST_COLLECTION}/{rkey}"


def post_id_of(uri: str) -> str:
    repo, rkey = _repo_and_rkey(uri)
    return f"{repo}/{rkey}"


def _repo_and_rkey(uri: str) -> tuple[str, str]:
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3:
        raise NetworkError(f"“{uri}” is not a Bluesky post address.", permanent=True)
    return parts[0], parts[2]


def post_url(repo: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{repo}/post/{rkey}"


def profile_url(actor: str) -> str:
    return f"https://bsky.app/profile/{actor}"


def post_id_from_url(url: str) -> str | None:
    """The post a bsky.app link points to, as a post id ("<handle or did>/<rkey>"); None when the
    link is not to a Bluesky post. A handle in it is turned into a DID when the post is read."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in {"bsky.app", "www.bsky.app"}:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) != 4 or segments[0] != "profile" or segments[2] != "post" or not segments[3].isalnum():
        return None
    return f"{segments[1]}/{segments[3]}"


# Photos under Bluesky's size limit.


def fit_jpeg(image: bytes, limit: int = MAX_IMAGE_BYTES) -> tuple[bytes, int, int]:
    """The photo as a JPEG of at most `limit` bytes, with its width and height.

    A JPEG already small enough goes as it is (the portal's rendition carries no metadata). A
    bigger one is encoded again at falling quality, then made smaller, keeping its proportions and
    leaving out every piece of metadata. NetworkError (permanent) when it cannot fit without
    becoming smaller than MIN_LONG_SIDE on its longer side."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            is_jpeg = opened.format == "JPEG"
            picture = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise NetworkError(
            "A photo of this post could not be read as an image, so it cannot go to Bluesky. Add the photo again.",
            permanent=True,
        ) from exc
    if is_jpeg and len(image) <= limit:
        return image, picture.width, picture.height
    for quality in (85, 75, 65):
        encoded = _jpeg(picture, quality)
        if len(encoded) <= limit:
            return encoded, picture.width, picture.height
    width, height = picture.size
    while True:
        scale = min(0.85, (limit / len(encoded)) ** 0.5 * 0.95)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
        if max(width, height) < MIN_LONG_SIDE:
            raise NetworkError(
                f"A photo of this post could not be brought under Bluesky's limit of {limit / 1_000_000:g} MB "
                "without losing too much detail. Use a simpler photo (or crop it), then submit the post again.",
                permanent=True,
            )
        encoded = _jpeg(picture.resize((width, height), Image.Resampling.LANCZOS), 75)
        if len(encoded) <= limit:
            return encoded, width, height


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


# The adapter.


class BlueskyNetwork(Network):
    label = "Bluesky"
    # Every Bluesky account's posts are public: there is no setting to make an account private.
    has_private_accounts = False
    capabilities = capabilities()

    def __init__(self, account: SocialAccount):
        super().__init__(account)
        self.credentials: dict = dict(account.credentials or {})
        self._sdk: Client | None = None
        self._refresh_lock = threading.Lock()
        # Set once the account's server has said it has no app view (see NoAppView).
        self._no_appview = False

    # Posts.

    def publish(self, payload: PostPayload, *, idempotency_key: str | None = None) -> ExternalRef:
        """Bluesky has no idempotency key and accepts the same text twice: an unknown outcome is
        reconciled by the caller through `recent_own_posts` (outcome_unknown says when)."""
        self.check_payload(payload)
        length = grapheme_count(payload.text)
        if length > MAX_GRAPHEMES:
            raise NetworkError(
                f"The post is {length} characters as Bluesky counts them; Bluesky allows {MAX_GRAPHEMES}. "
                "Shorten it, then submit it again.",
                permanent=True,
            )
        size = len(payload.text.encode())
        if size > MAX_TEXT_BYTES:
            raise NetworkError(
                f"The post takes {size} bytes as Bluesky stores it (emoji and accented letters take several); "
                f"Bluesky allows {MAX_TEXT_BYTES}. Use fewer emoji or shorten it, then submit it again.",
                permanent=True,
            )
        facets, unresolved = self.facets(payload.text)
        if unresolved:
            # The post still reads as written; the names are plain text rather than links.
            log.info("Bluesky mentions left as plain text (no such account): %s", ", ".join(unresolved))
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": payload.text,
            "createdAt": _now_iso(),
            "langs": [settings.BLUESKY_POST_LANGUAGE],
        }
        if facets:
            record["facets"] = facets
        embed = self._embed(payload)
        if embed:
            record["embed"] = embed
        if payload.reply_to:
            record["reply"] = self._reply_ref(payload.reply_to)
        did = self._did()
        response = self._call(
            "publish the post",
            lambda client: client.com.atproto.repo.create_record(
                {"repo": did, "collection": POST_COLLECTION, "record": record}
            ),
            creates=True,
        )
        repo, rkey = _repo_and_rkey(response.uri)
        return ExternalRef(id=f"{repo}/{rkey}", url=post_url(repo, rkey))

    def delete(self, ref_id: str) -> None:
        repo, rkey = _repo_and_rkey(post_uri(ref_id))
        did = self._did()
        if repo != did:
            raise NetworkError(
                f"Post {ref_id} is not {self._handle}'s, so the portal cannot delete it.", permanent=True
            )
        # The PDS answers a delete of a record it does not have as done: look first, so a take-down
        # of a post that is already gone says so.
        self._call(
            "read the post before deleting it",
            lambda client: client.com.atproto.repo.get_record(
                {"repo": did, "collection": POST_COLLECTION, "rkey": rkey}
            ),
            missing_post=ref_id,
        )
        self._call(
            "delete the post",
            lambda client: client.com.atproto.repo.delete_record(
                {"repo": did, "collection": POST_COLLECTION, "rkey": rkey}
            ),
            missing_post=ref_id,
        )

    def recent_own_posts(self, limit: int = 20) -> list[OwnPost]:
        """Read from the account's own repository on its PDS, not from Bluesky's public feed: the
        PDS is where a post exists the moment it is created, while the feed (the AppView) can lag
        by seconds, long enough for a retry to post twice."""
        did = self._did()
        response = self._call(
            "read its recent posts",
            lambda client: client.com.atproto.repo.list_records(
                {"repo": did, "collection": POST_COLLECTION, "limit": min(max(limit, 1), 100)}
            ),
        )
        posts = []
        for item in response.records:
            value = _as_dict(item.value)
            repo, rkey = _repo_and_rkey(item.uri)
            posts.append(
                OwnPost(
                    id=f"{repo}/{rkey}",
                    text=value.get("text", ""),
                    created_at=_parse_time(value.get("createdAt")),
                    url=post_url(repo, rkey),
                )
            )
        return sorted(posts, key=lambda post: post.created_at, reverse=True)[:limit]

    def fetch_post(self, post_id: str) -> FetchedPost:
        view = self._post_view(post_id)
        text = view.record.get("text", "")
        # A link's text on Bluesky may be shortened: what a reader can open is the facet's address.
        for facet in view.record.get("facets") or []:
            for feature in facet.get("features", []):
                uri = feature.get("uri")
                if uri and uri not in text:
                    text += f" {uri}"
        repo, rkey = _repo_and_rkey(view.uri)
        return FetchedPost(
            id=f"{repo}/{rkey}",
            text=text,
            author_handle=view.author_handle,
            url=post_url(view.author_handle, rkey),
            media=_record_pictures(repo, view.record),
        )

    def repost(self, post_id: str) -> ExternalRef:
        """An app.bsky.feed.repost record in the account's repository. Bluesky would take a second
        one for the same post, so an existing repost is looked for first and returned."""
        view = self._post_view(post_id)
        existing = self._repost_record(view.uri)
        if existing is not None:
            return existing
        did = self._did()
        record = {"$type": REPOST_COLLECTION, "subject": {"uri": view.uri, "cid": view.cid}, "createdAt": _now_iso()}
        response = self._call(
            "repost the post",
            lambda client: client.com.atproto.repo.create_record(
                {"repo": did, "collection": REPOST_COLLECTION, "record": record}
            ),
            creates=True,
        )
        return self._repost_ref(response.uri, view.uri)

    def undo_repost(self, repost_id: str, post_id: str) -> None:
        """Delete the repost record (looked for first: the PDS answers a delete of a missing record as done)."""
        repo, _, rkey = repost_id.partition("/")
        did = self._did()
        if repo != did or not rkey:
            raise NetworkError(
                f"Repost {repost_id} is not {self._handle}'s, so the portal cannot undo it.", permanent=True
            )
        key = {"repo": did, "collection": REPOST_COLLECTION, "rkey": rkey}
        self._call("read the repost", lambda client: client.com.atproto.repo.get_record(key), missing_post=repost_id)
        self._call("undo the repost", lambda client: client.com.atproto.repo.delete_record(key), missing_post=repost_id)

    def find_repost(self, post_id: str) -> ExternalRef | None:
        """Read from the account's own repository (where a repost exists the moment it is made), not
        from the app view's "reposted by me", which can lag."""
        return self._repost_record(self._with_did(post_uri(post_id)))

    def _repost_record(self, subject_uri: str) -> ExternalRef | None:
        did = self._did()
        response = self._call(
            "read its reposts",
            lambda client: client.com.atproto.repo.list_records(
                {"repo": did, "collection": REPOST_COLLECTION, "limit": 100}
            ),
        )
        for item in response.records:
            if (_as_dict(item.value).get("subject") or {}).get("uri") == subject_uri:
                return self._repost_ref(item.uri, subject_uri)
        return None

    def _repost_ref(self, repost_uri: str, subject_uri: str) -> ExternalRef:
        repo, rkey = _repo_and_rkey(repost_uri)
        subject_repo, subject_rkey = _repo_and_rkey(subject_uri)
        return ExternalRef(id=f"{repo}/{rkey}", url=post_url(subject_repo, subject_rkey))

    def upload_media(self, image: bytes, alt_text: str) -> MediaRef:
        """Upload one photo, brought under Bluesky's size limit first. Bluesky keeps the description
        in the post rather than with the upload, so the returned reference carries both."""
        self.check_media(image, alt_text)
        jpeg, width, height = fit_jpeg(image)
        response = self._call(
            "upload the image",
            lambda client: client.com.atproto.repo.upload_blob(jpeg, headers={"Content-Type": "image/jpeg"}),
            creates=True,
        )
        blob = response.blob
        ref = blob.ref.link if isinstance(blob.ref, IpldLink) else str(blob.cid)
        return json.dumps(
            {"cid": ref, "mime": blob.mime_type, "size": blob.size, "alt": alt_text, "width": width, "height": height}
        )

    def check_media(self, image: bytes, alt_text: str) -> None:
        """Bluesky counts descriptions in graphemes; a photo too big is made smaller, not refused."""
        length = grapheme_count(alt_text)
        if length > ALT_TEXT_GRAPHEMES:
            raise NetworkError(
                f"The image description is {length} characters; Bluesky allows {ALT_TEXT_GRAPHEMES}. Shorten it.",
                permanent=True,
            )

    def facets(self, text: str) -> tuple[list[dict], list[str]]:
        """The post's links, hashtags and mentions as Bluesky facets (UTF-8 byte ranges), and the
        handles mentioned that are no Bluesky account: those stay plain text. The compose page can
        call this to tell the author before the post is submitted."""
        found = [facet.model_dump(by_alias=True, exclude_none=True) for facet in facet_detection.detect_facets(text)]
        unresolved: list[str] = []
        dids: dict[str, str | None] = {}
        for mention in facet_detection.detect_mentions(text):
            handle = mention.handle.lower()
            if handle not in dids:
                dids[handle] = self._resolve_handle(handle)
            if dids[handle] is None:
                if handle not in unresolved:
                    unresolved.append(handle)
                continue
            found.append(
                {
                    "$type": "app.bsky.richtext.facet",
                    "index": {"byteStart": mention.byte_start, "byteEnd": mention.byte_end},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": dids[handle]}],
                }
            )
        return sorted(found, key=lambda facet: facet["index"]["byteStart"]), unresolved

    def unresolved_mentions(self, text: str) -> list[str]:
        return self.facets(text)[1]

    # The account and the people around it.

    def check_connection(self) -> NetworkUser:
        session = self._call("check the connection", lambda client: client.com.atproto.server.get_session())
        me = NetworkUser(id=session.did, handle=session.handle, url=profile_url(session.handle))
        if self.credentials.get("handle") != session.handle or self.credentials.get("did") != session.did:
            self._remember({"handle": session.handle, "did": session.did})
        return me

    def user_by_handle(self, handle: str) -> NetworkUser:
        handle = handle.strip().lstrip("@")
        unknown = f"There is no account @{handle} on Bluesky. Check the handle (for example name.bsky.social)."
        if not self._no_appview:
            try:
                profile = self._call(
                    "look up an account",
                    lambda client: client.app.bsky.actor.get_profile({"actor": handle}),
                    missing=unknown,
                )
            except NoAppView:
                self._no_appview = True
            else:
                return _network_user(profile)
        # Without an app view there is no profile to read, only who the handle belongs to.
        did = self._resolve_handle(handle)
        if did is None:
            raise PostNotFound(unknown)
        return NetworkUser(id=did, handle=handle, url=profile_url(handle))

    def mentions(self, since: str | None = None) -> list[Mention]:
        """Mentions of the account and replies to it, oldest first, after the mention `since`
        (Bluesky's notifications come newest first, so reading stops when it reaches `since`)."""
        found: list[Mention] = []
        cursor = None
        for _page in range(10):
            response = self._call(
                "read its mentions",
                lambda client, cursor=cursor: client.app.bsky.notification.list_notifications(
                    {"limit": 100, "reasons": ["mention", "reply"], "cursor": cursor}
                ),
            )
            reached_since = False
            for item in response.notifications:
                if item.reason not in ("mention", "reply"):
                    continue
                mention_id = post_id_of(item.uri)
                if since and mention_id == since:
                    reached_since = True
                    break
                found.append(_mention(item, mention_id))
            cursor = response.cursor
            if reached_since or not cursor:
                break
        return list(reversed(found))

    def followers(self, cursor: str | None = None) -> tuple[list[NetworkUser], str | None]:
        did = self._did()
        response = self._call(
            "read its followers",
            lambda client: client.app.bsky.graph.get_followers({"actor": did, "limit": 100, "cursor": cursor}),
        )
        return [_network_user(user) for user in response.followers], response.cursor

    def mute(self, user_id: str) -> None:
        self._call("mute an account", lambda client: client.app.bsky.graph.mute_actor({"actor": user_id}))

    def unmute(self, user_id: str) -> None:
        self._call("unmute an account", lambda client: client.app.bsky.graph.unmute_actor({"actor": user_id}))

    def block(self, user_id: str) -> None:
        """A block on Bluesky is a public record in the account's repository."""
        did = self._did()
        if self._block_record(user_id):
            return
        record = {"$type": BLOCK_COLLECTION, "subject": user_id, "createdAt": _now_iso()}
        self._call(
            "block an account",
            lambda client: client.com.atproto.repo.create_record(
                {"repo": did, "collection": BLOCK_COLLECTION, "record": record}
            ),
        )

    def unblock(self, user_id: str) -> None:
        did = self._did()
        uri = self._block_record(user_id)
        if not uri:
            return
        _repo, rkey = _repo_and_rkey(uri)
        self._call(
            "unblock an account",
            lambda client: client.com.atproto.repo.delete_record(
                {"repo": did, "collection": BLOCK_COLLECTION, "rkey": rkey}
            ),
        )

    def hide_reply(self, post_id: str) -> None:
        """Hide a reply in a thread the account started (Bluesky keeps the list on the thread's
        threadgate, at most 300)."""
        reply = self._post_view(post_id)
        root_uri = ((reply.record.get("reply") or {}).get("root") or {}).get("uri")
        if not root_uri or _repo_and_rkey(root_uri)[0] != self._did():
            raise NetworkError(
                f"Bluesky lets {self._handle} hide replies only in conversations it started, and this reply is in "
                "someone else's. Mute or block its author instead.",
                permanent=True,
            )

        def change(gate: dict) -> dict:
            hidden = list(gate.get("hiddenReplies") or [])
            if reply.uri not in hidden:
                if len(hidden) >= MAX_HIDDEN_REPLIES:
                    raise NetworkError(
                        f"Bluesky hides at most {MAX_HIDDEN_REPLIES} replies in one conversation, and this one "
                        "already has that many. Block the reply's author instead.",
                        permanent=True,
                    )
                hidden.append(reply.uri)
            return {**gate, "hiddenReplies": hidden}

        self._change_threadgate(root_uri, "hide a reply", change)

    def set_reply_controls(self, post_id: str, allow: str) -> None:
        if allow not in _REPLY_RULES:
            raise NetworkError(f"“{allow}” is not a choice of who may reply on Bluesky.", permanent=True)
        uri = post_uri(post_id)
        if _repo_and_rkey(uri)[0] != self._did():
            raise NetworkError(f"Only {self._handle}'s own posts can have their replies limited.", permanent=True)
        rules = _REPLY_RULES[allow]

        def change(gate: dict) -> dict:
            changed = {key: value for key, value in gate.items() if key != "allow"}
            if rules is not None:
                changed["allow"] = rules
            return changed

        self._change_threadgate(uri, "limit who may reply", change)

    def report(self, user_id: str, reason: str, post_ids: list[str] | None = None) -> None:
        """Report an account, or each of the given posts of it, to Bluesky's moderators."""
        subjects: list[dict] = []
        for post_id in post_ids or []:
            view = self._post_view(post_id)
            subjects.append({"$type": "com.atproto.repo.strongRef", "uri": view.uri, "cid": view.cid})
        if not subjects:
            subjects.append({"$type": "com.atproto.admin.defs#repoRef", "did": user_id})
        for subject in subjects:
            data = {"reasonType": "com.atproto.moderation.defs#reasonOther", "reason": reason, "subject": subject}
            self._call(
                "report an account to Bluesky's moderators",
                lambda client, data=data: client.com.atproto.moderation.create_report(data),
            )

    def block_url(self, user: NetworkUser) -> str:
        return profile_url(user.handle or user.id)

    # Private messages (issue 18): chat.bsky.convo.*, which the account's server passes on to
    # Bluesky's chat service (the atproto-proxy header, `with_bsky_chat_proxy`).

    def send_direct_message(
        self, recipient_handle: str, text: str, *, idempotency_key: str | None = None
    ) -> SentMessage:
        """Bluesky's chat takes no idempotency key: a lost answer is an unknown outcome."""
        recipient = self.user_by_handle(recipient_handle)
        convo = self._chat(
            "find the conversation",
            lambda chat: chat.chat.bsky.convo.get_convo_for_members({"members": [recipient.id]}),
        ).convo
        message = self._chat(
            "send the private message",
            lambda chat: chat.chat.bsky.convo.send_message({"convo_id": convo.id, "message": {"text": text}}),
            creates=True,
        )
        return SentMessage(id=message.id, conversation_id=convo.id)

    def direct_messages(self, since: str | None = None) -> list[DirectMessage]:
        """Messages others sent the account, oldest first, after the chat log's revision `since`
        (each message's id here is its revision, so the inbox's cursor is the log's)."""
        me = self._did()
        found: list[DirectMessage] = []
        senders: dict[str, NetworkUser] = {}
        cursor = since
        for _page in range(10):
            response = self._chat(
                "read its private messages",
                lambda chat, cursor=cursor: chat.chat.bsky.convo.get_log({"cursor": cursor}),
            )
            for entry in response.logs:
                message = getattr(entry, "message", None)
                text = getattr(message, "text", None)
                sender = getattr(getattr(message, "sender", None), "did", "")
                if text is None or not sender or sender == me:
                    continue  # a deleted message, a read receipt, or one of ours
                if sender not in senders:
                    senders[sender] = self._sender(sender)
                found.append(
                    DirectMessage(
                        id=message.rev,
                        text=text,
                        created_at=_parse_time(message.sent_at),
                        sender=senders[sender],
                        conversation_id=entry.convo_id,
                    )
                )
            if not response.cursor or response.cursor == cursor or not response.logs:
                break
            cursor = response.cursor
        return sorted(found, key=lambda message: message.id)

    def _sender(self, did: str) -> NetworkUser:
        """Who sent a message (the log names them by DID only); their DID alone when their profile
        cannot be read, so the message still reaches the inbox."""
        try:
            return self.user_by_handle(did)
        except NetworkError:
            return NetworkUser(id=did, handle=did, url=profile_url(did))

    def _chat(self, operation: str, call: Callable[[Client], T], *, creates: bool = False) -> T:
        try:
            return self._call(operation, lambda client: call(client.with_bsky_chat_proxy()), creates=creates)
        except ReconnectNeeded as refused:
            # A session that works for posts but not for chat: the app password lacks the DM scope.
            if isinstance(refused.__cause__, atp.RequestErrorBase) and "scope" in _error_message(refused.__cause__):
                raise NetworkError(CHAT_SCOPE_REFUSED.format(handle=self._handle), permanent=True) from refused
            raise

    # Internals: posts, embeds, threadgates.

    def _post_view(self, post_id: str) -> _PostRecord:
        """A post as Bluesky's app view shows it; from the author's repository when the account's
        server has no app view (a self-hosted PDS may run without one)."""
        uri = self._with_did(post_uri(post_id))
        if not self._no_appview:
            try:
                response = self._call("read a post", lambda client: client.app.bsky.feed.get_posts({"uris": [uri]}))
            except NoAppView:
                self._no_appview = True
            else:
                if not response.posts:
                    raise PostNotFound(f"There is no post {post_id} on Bluesky (it may have been deleted).")
                view = response.posts[0]
                return _PostRecord(view.uri, view.cid, _as_dict(view.record), view.author.handle)
        repo, rkey = _repo_and_rkey(uri)
        try:
            found = self._call(
                "read a post",
                lambda client: client.com.atproto.repo.get_record(
                    {"repo": repo, "collection": POST_COLLECTION, "rkey": rkey}
                ),
                missing_post=post_id,
            )
        except PostNotFound as exc:
            raise PostNotFound(f"There is no post {post_id} on Bluesky (it may have been deleted).") from exc
        return _PostRecord(found.uri, found.cid, _as_dict(found.value), self._handle_of(repo))

    def _handle_of(self, did: str) -> str:
        """The handle of an account, from its own server's description of its repository."""
        if did == self.credentials.get("did") and self.credentials.get("handle"):
            return self.credentials["handle"]
        return self._call(
            "look up an account", lambda client: client.com.atproto.repo.describe_repo({"repo": did})
        ).handle

    def _with_did(self, uri: str) -> str:
        """An at:// URI with a handle (as a bsky.app link has) turned into one with the DID."""
        repo, rkey = _repo_and_rkey(uri)
        if repo.startswith("did:"):
            return uri
        did = self._resolve_handle(repo)
        if did is None:
            raise PostNotFound(f"There is no Bluesky account @{repo}, so its post cannot be read.")
        return f"at://{did}/{POST_COLLECTION}/{rkey}"

    def _embed(self, payload: PostPayload) -> dict | None:
        images = None
        if payload.media:
            images = {"$type": "app.bsky.embed.images", "images": [_image(ref) for ref in payload.media]}
        if not payload.quote_of:
            return images
        quoted = self._post_view(payload.quote_of)
        record = {"$type": "app.bsky.embed.record", "record": {"uri": quoted.uri, "cid": quoted.cid}}
        if images is None:
            return record
        return {"$type": "app.bsky.embed.recordWithMedia", "record": record, "media": images}

    def _reply_ref(self, reply_to: str) -> dict:
        parent = self._post_view(reply_to)
        parent_ref = {"uri": parent.uri, "cid": parent.cid}
        root = (parent.record.get("reply") or {}).get("root") or parent_ref
        return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent_ref}

    def _change_threadgate(self, root_uri: str, operation: str, change: Callable[[dict], dict]) -> None:
        """Read the thread's threadgate (its rkey is the root post's), change it, write it back."""
        did = self._did()
        _repo, rkey = _repo_and_rkey(root_uri)
        key = {"repo": did, "collection": THREADGATE_COLLECTION, "rkey": rkey}
        try:
            current = self._call(operation, lambda client: client.com.atproto.repo.get_record(key), missing_post="")
            existing = _as_dict(current.value)
        except PostNotFound:
            existing = None
        gate = change({**(existing or {}), "$type": THREADGATE_COLLECTION, "post": root_uri})
        gate.setdefault("createdAt", _now_iso())
        if "allow" not in gate and not gate.get("hiddenReplies"):
            # Anyone may reply and nothing is hidden: that is a thread without a threadgate.
            if existing is not None:
                self._call(operation, lambda client: client.com.atproto.repo.delete_record(key))
            return
        self._call(operation, lambda client: client.com.atproto.repo.put_record({**key, "record": gate}))

    def _block_record(self, user_id: str) -> str | None:
        """The account's block of `user_id`, if it has one: Bluesky's app view says so in one
        call; without an app view, the block records in the account's own repository are read."""
        if not self._no_appview:
            try:
                profile = self._call(
                    "look up an account", lambda client: client.app.bsky.actor.get_profile({"actor": user_id})
                )
            except NoAppView:
                self._no_appview = True
            else:
                viewer = profile.viewer
                return viewer.blocking if viewer and viewer.blocking else None
        did = self._did()
        cursor = None
        for _page in range(MAX_BLOCK_PAGES):
            response = self._call(
                "read its blocks",
                lambda client, cursor=cursor: client.com.atproto.repo.list_records(
                    {"repo": did, "collection": BLOCK_COLLECTION, "limit": 100, "cursor": cursor}
                ),
            )
            for item in response.records:
                if _as_dict(item.value).get("subject") == user_id:
                    return item.uri
            cursor = response.cursor
            if not cursor or not response.records:
                break
        return None

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            response = self._call(
                "look up a handle",
                lambda client: client.com.atproto.identity.resolve_handle({"handle": handle}),
                missing="",
            )
        except PostNotFound:
            return None
        return response.did

    # Internals: the session and calls.

    @property
    def _handle(self) -> str:
        handle = self.credentials.get("handle") or self.account.handle
        return f"@{handle}" if handle else "this Bluesky account"

    def _did(self) -> str:
        did = self.credentials.get("did")
        if not did:
            raise ReconnectNeeded(
                f"{self._handle} is not connected to Bluesky yet. Connect it from the account's page."
            )
        return did

    def _client(self) -> Client:
        if self._sdk is None:
            if not self.credentials.get("access_jwt"):
                raise ReconnectNeeded(
                    f"{self._handle} is not connected to Bluesky yet. Connect it from the account's page."
                )
            client = new_client(self.credentials["pds"])
            client.on_session_change(self._session_changed)
            session = Session(
                handle=self.credentials["handle"],
                did=self.credentials["did"],
                access_jwt=self.credentials["access_jwt"],
                refresh_jwt=self.credentials["refresh_jwt"],
                pds_endpoint=self.credentials["pds"],
            )
            client.login(session_string=session.encode(), fetch_bsky_profile=False)
            self._sdk = client
        return self._sdk

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        """Keep a renewed session (the SDK renews it shortly before it expires, and `_call` when
        Bluesky says it has): Bluesky replaces the refresh token each time."""
        if event is SessionEvent.REFRESH:
            self._remember({"access_jwt": session.access_jwt, "refresh_jwt": session.refresh_jwt})

    def _call(
        self,
        operation: str,
        call: Callable[[Client], T],
        *,
        creates: bool = False,
        missing_post: str | None = None,
        missing: str | None = None,
    ) -> T:
        """Run one call: after Bluesky says the access token has expired, renew the session once and
        try again; turn everything else Bluesky or the network says into a NetworkError."""
        try:
            return self._attempt(operation, call, creates, missing_post, missing)
        except _SessionExpired:
            pass
        self._renew_session()
        try:
            return self._attempt(operation, call, creates, missing_post, missing)
        except _SessionExpired as exc:
            raise ReconnectNeeded(self._reconnect_message()) from exc

    def _attempt(
        self, operation: str, call: Callable[[Client], T], creates: bool, missing_post: str | None, missing: str | None
    ) -> T:
        client = self._client()
        try:
            return call(client)
        except atp.LoginRequiredError as exc:
            raise ReconnectNeeded(self._reconnect_message()) from exc
        except atp.RequestErrorBase as exc:
            # A PDS says "ExpiredToken" with 400 (and some servers with 401).
            if exc.response is not None and _error_name(exc) == "ExpiredToken":
                raise _SessionExpired from exc
            if isinstance(exc, atp.UnauthorizedError):
                raise ReconnectNeeded(self._reconnect_message()) from exc
            raise self._error(exc, operation, creates, missing_post, missing) from exc

    def _renew_session(self) -> None:
        with self._refresh_lock:
            try:
                self._client()._refresh_and_set_session()
            except (atp.UnauthorizedError, atp.BadRequestError, atp.LoginRequiredError) as exc:
                raise ReconnectNeeded(self._reconnect_message()) from exc
            except atp.RequestErrorBase as exc:
                raise NetworkError(
                    f"The portal could not renew its connection to {self._handle} on Bluesky just now. "
                    "It will try again."
                ) from exc

    def _error(
        self,
        exc: atp.RequestErrorBase,
        operation: str,
        creates: bool,
        missing_post: str | None,
        missing: str | None,
    ) -> NetworkError:
        response = exc.response
        handle = self._handle
        if response is None:
            return self._transport_error(exc, operation, creates)
        status, name, detail = response.status_code, _error_name(exc), _error_message(exc)
        if isinstance(exc, atp.RateLimitExceededError):
            wait = exc.retry_after
            if wait is None and exc.reset_at is not None:
                wait = (exc.reset_at - datetime.now(UTC)).total_seconds()
            retry_after = max(1.0, wait if wait is not None else DEFAULT_RATE_LIMIT_WAIT)
            return NetworkError(
                f"Bluesky is limiting how often the portal can use {handle} for now. "
                f"It will try again in {_minutes(retry_after)}.",
                retry_after=retry_after,
            )
        if name in ("InvalidToken", "AccountTakedown", "AccountDeactivated", "AuthenticationRequired"):
            return ReconnectNeeded(self._reconnect_message())
        if status == 400 and detail.startswith(NO_APPVIEW_MESSAGE):
            return NoAppView(
                f"The Bluesky server {handle} is on cannot {operation}: that needs a Bluesky app view (the service "
                "that keeps feeds, followers, notifications and mutes), and this server has none. Do it in Bluesky's "
                "own app, or ask whoever runs the server to connect one.",
                permanent=True,
            )
        if missing_post is not None and (name in ("RecordNotFound", "NotFound", "PostNotFound") or status == 404):
            return PostNotFound(f"Post {missing_post} is not on {handle} (it may already have been deleted).")
        if missing is not None and status == 400 and name in ("InvalidRequest", "NotFound", "ProfileNotFound", ""):
            return PostNotFound(missing or "Bluesky has no such account.")
        if status == 413:
            return NetworkError(f"Bluesky refused to {operation} on {handle}: it is too large.", permanent=True)
        if status >= 500 or status == 409:
            return NetworkError(
                f"Bluesky had a problem and could not {operation} on {handle} just now (HTTP {status}). "
                "The portal will try again.",
                outcome_unknown=creates,
            )
        return NetworkError(f"Bluesky refused to {operation} on {handle}. Bluesky said: {detail}", permanent=True)

    def _transport_error(self, exc: atp.RequestErrorBase, operation: str, creates: bool) -> NetworkError:
        cause = exc.__cause__
        if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout):
            return NetworkError(
                f"The portal could not reach Bluesky to {operation} on {self._handle}. It will try again."
            )
        if isinstance(exc, atp.InvokeTimeoutError):
            message = f"Bluesky did not answer in time when asked to {operation} on {self._handle}."
        else:
            message = f"The connection to Bluesky broke while asking it to {operation} on {self._handle}."
        message += (
            " The portal will check what Bluesky has before trying again." if creates else " The portal will try again."
        )
        return NetworkError(message, outcome_unknown=creates)

    def _reconnect_message(self) -> str:
        return (
            f"Bluesky no longer accepts the portal's connection to {self._handle} (the app password may have been "
            "revoked). Connect it again from the account's page with a new app password."
        )

    def _remember(self, changes: dict) -> None:
        """Keep what changed in the session with the account, unless it was disconnected meanwhile."""
        self.credentials = {**self.credentials, **changes}
        if self.account.pk is not None:
            with transaction.atomic():
                row = SocialAccount.objects.select_for_update().only("id", "credentials").get(pk=self.account.pk)
                if (row.credentials or {}).get("access_jwt"):
                    row.credentials = {**row.credentials, **changes}
                    row.save(update_fields=["credentials"])
        self.account.credentials = self.credentials


class _SessionExpired(Exception):
    """The access token has expired: renew the session and try once more."""


# How a PDS answers an app.bsky.* call it would hand to an app view when it has none configured.
NO_APPVIEW_MESSAGE = "No service configured for "


class NoAppView(NetworkError):
    """The account's server has no app view, so it cannot answer reads (feeds, profiles, followers,
    notifications) or keep mutes. Reads with another way round it take that way."""


@dataclass(frozen=True)
class _PostRecord:
    """What the portal needs of a post: where it is, its exact version, its record, its author."""

    uri: str
    cid: str
    record: dict
    author_handle: str


def new_client(base_url: str) -> Client:
    """An SDK client for one server, with the portal's timeout."""
    return Client(base_url=base_url, request=Request(timeout=settings.BLUESKY_TIMEOUT_SECONDS))


def _record_pictures(repo: str, record: dict) -> tuple[FetchedMedia, ...]:
    """The pictures a post record embeds (on its own, or beside a quoted post), with their
    descriptions and where Bluesky's image server shows them."""
    embed = record.get("embed") or {}
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        embed = embed.get("media") or {}
    if embed.get("$type") != "app.bsky.embed.images":
        return ()
    pictures = []
    for image in embed.get("images") or []:
        link = ((image.get("image") or {}).get("ref") or {}).get("$link", "")
        url = f"https://cdn.bsky.app/img/feed_fullsize/plain/{repo}/{link}@jpeg" if link else ""
        pictures.append(FetchedMedia(url=url, alt_text=image.get("alt", "")))
    return tuple(pictures)


def _image(ref: MediaRef) -> dict:
    media = json.loads(ref)
    blob = BlobRef(mime_type=media["mime"], size=media["size"], ref=IpldLink(link=media["cid"]))
    return {
        "$type": "app.bsky.embed.images#image",
        "image": json.loads(blob.model_dump_json(by_alias=True)),
        "alt": media["alt"],
        "aspectRatio": {"width": media["width"], "height": media["height"]},
    }


def _as_dict(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return json.loads(value.model_dump_json(by_alias=True, exclude_none=True))


def _network_user(profile: Any) -> NetworkUser:
    created_at = getattr(profile, "created_at", None)
    return NetworkUser(
        id=profile.did,
        handle=profile.handle,
        display_name=profile.display_name or "",
        description=getattr(profile, "description", None) or "",
        created_at=_parse_time(created_at) if created_at else None,
        followers_count=getattr(profile, "followers_count", None),
        following_count=getattr(profile, "follows_count", None),
        posts_count=getattr(profile, "posts_count", None),
        url=profile_url(profile.handle),
    )


def _mention(item: Any, mention_id: str) -> Mention:
    record = _as_dict(item.record)
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = (reply.get("root") or {}).get("uri")
    repo, rkey = _repo_and_rkey(item.uri)
    return Mention(
        id=mention_id,
        text=record.get("text", ""),
        created_at=_parse_time(record.get("createdAt") or item.indexed_at),
        author=_network_user(item.author),
        url=post_url(item.author.handle or repo, rkey),
        in_reply_to=post_id_of(parent) if parent else None,
        conversation_id=post_id_of(root) if root else mention_id,
    )


def _error_name(exc: atp.RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    return str(getattr(content, "error", "") or "")


def _error_message(exc: atp.RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    message = getattr(content, "message", None) or getattr(content, "error", None)
    return str(message) if message else f"HTTP {exc.response.status_code}"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
