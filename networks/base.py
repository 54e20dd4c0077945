"""The one interface every network adapter implements (healthchecks' transports are the model).

An adapter is a small class per network. It implements what its network supports; anything
else falls through to this base class, which raises a permanent NetworkError saying the
operation is not available, so callers handle "not possible here" like any other failure.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, TypeAlias

if TYPE_CHECKING:
    from accounts.models import SocialAccount

# The id a network gave an uploaded image; a post refers to its images by these.
MediaRef: TypeAlias = str


class NetworkError(Exception):
    """A network call that did not work, with a message staff can read.

    `permanent` means retrying the same call will not help (bad credentials, a post that is
    too long, an operation the network does not offer); `retry_after` is the number of
    seconds the network asked us to wait before trying again, when it said.
    """

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        retry_after: float | None = None,
        *,
        outcome_unknown: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        # The request may have reached the network (a timeout after sending, a 5xx to a post):
        # whoever retries must first look at what the network has.
        self.outcome_unknown = outcome_unknown

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, permanent={self.permanent}, retry_after={self.retry_after})"


class PostNotFound(NetworkError):
    """The post is not on the network (never was, or already deleted). Always permanent, and
    its own type so a take-down can treat "already gone" as done."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class ReconnectNeeded(NetworkError):
    """The network no longer accepts the portal's connection to this account (revoked or expired
    tokens that could not be refreshed). Permanent until the headteacher reconnects it."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class DuplicateContent(NetworkError):
    """The network refused a post because the account already has one with the same content.
    It may be our own earlier attempt that did get through: the publisher reconciles."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True, outcome_unknown=True)


class LengthRule(StrEnum):
    """How a network counts a post's length. A name, not a function: `networks.text.count`
    turns it into a count, so the rules engine, the live counter and the preview agree."""

    X_WEIGHTED = "x_weighted"
    CHARACTERS = "characters"
    # Bluesky: user-perceived characters (extended grapheme clusters); links count in full.
    GRAPHEMES = "graphemes"
    # Mastodon: characters, every link counts as the server's reserved length (23), and a
    # mention of someone on another server counts only its "@name" part.
    MASTODON = "mastodon"


@dataclass(frozen=True)
class Capabilities:
    max_length: int
    length_rule: LengthRule
    max_images: int
    max_image_bytes: int
    alt_text_limit: int
    supports_block: bool = False
    supports_idempotency_key: bool = False
    # How long the network remembers an idempotency key (None: as long as the post exists). Past
    # it, a repeat with the same key makes a second post, so the publisher reads the account's
    # own posts instead of trusting the key.
    idempotency_key_seconds: int | None = None
    supports_follower_list: bool = False
    supports_hide_reply: bool = False
    # The network shows a preview card (the linked page's title, description and picture) under
    # a post with a link in its text: words the post sends out that nobody typed.
    shows_link_previews: bool = False
    # How many characters a link counts as, where the network counts links at a fixed length.
    url_length: int = 23
    # A cap on the text's size in UTF-8 bytes besides its length (Bluesky: 3,000), or None.
    max_text_bytes: int | None = None
    # Moderation the network offers through its API beyond mute and block.
    supports_mute: bool = False
    supports_report: bool = False  # report an account to the server's moderators
    supports_remove_follower: bool = False
    supports_reply_controls: bool = False  # limit who may reply to a post
    # Image formats the network takes; the portal always sends JPEG.
    image_formats: tuple[str, ...] = ("jpeg",)
    # Reposting someone's public post without comment (a retweet, a boost), and undoing it.
    supports_repost: bool = False
    # Private messages (issue 18): send one to a person, and read the ones sent to the account.
    # `direct_messages_note` says, in a sentence staff can read, what the network (or its tier)
    # does not allow, or what staff should know about its messages (who else can read them).
    supports_direct_messages: bool = False
    direct_messages_note: str = ""


@dataclass(frozen=True)
class ExternalRef:
    """Where a published post lives on its network."""

    id: str
    url: str


@dataclass(frozen=True)
class PostPayload:
    text: str
    media: list[MediaRef] = field(default_factory=list)
    quote_of: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class FetchedMedia:
    """A picture (or video) on someone's post: where it is shown and its description."""

    url: str
    alt_text: str = ""


@dataclass(frozen=True)
class FetchedPost:
    """Someone's post as the network shows it, for reading what a quote or a repost sends out."""

    id: str
    text: str
    author_handle: str  # without the @; empty when the network did not say
    url: str
    # Its pictures, for a repost: they go out again under the school's name.
    media: tuple[FetchedMedia, ...] = ()


@dataclass(frozen=True)
class OwnPost:
    """One of the account's own posts as the network has it, for reconciling an unknown outcome."""

    id: str
    text: str
    created_at: datetime
    url: str


@dataclass(frozen=True)
class NetworkUser:
    """Someone on the network, with what screening a follower needs (all optional but id/handle)."""

    id: str
    handle: str
    display_name: str = ""
    description: str = ""
    created_at: datetime | None = None
    followers_count: int | None = None
    following_count: int | None = None
    posts_count: int | None = None
    url: str = ""
    # Whether only approved followers see their posts: X's "protected", Mastodon's "locked", the
    # local network's own flag; None where the network does not say (Bluesky has no private accounts).
    is_private: bool | None = None


@dataclass(frozen=True)
class Mention:
    id: str
    text: str
    created_at: datetime
    author: NetworkUser
    url: str
    in_reply_to: str | None = None
    # The post that started the conversation: a reply can be hidden only in our own conversations.
    conversation_id: str | None = None


@dataclass(frozen=True)
class DirectMessage:
    """A private message sent to the account, as the network gives it (ids grow with time)."""

    id: str
    text: str
    created_at: datetime
    sender: NetworkUser
    conversation_id: str = ""
    url: str = ""


@dataclass(frozen=True)
class SentMessage:
    """Where a private message the account sent lives on its network."""

    id: str
    conversation_id: str = ""
    url: str = ""


class Network(ABC):
    """A school's account on one network. Constructed per account; holds no open connection."""

    capabilities: ClassVar[Capabilities]
    # How messages name the network: "… is not available on this network (X)."
    label: ClassVar[str]
    # Whether people can make their accounts private here (only approved followers see their
    # posts); where they cannot, `NetworkUser.is_private` is always None.
    has_private_accounts: ClassVar[bool] = True

    def __init__(self, account: SocialAccount):
        self.account = account

    @classmethod
    def capabilities_for(cls, account: SocialAccount | None) -> Capabilities:
        """What this network allows for one account. Most networks are the same for everyone;
        a Mastodon server sets its own length and photo limits, kept on the account when it is
        connected (`SocialAccount.network_settings`)."""
        return cls.capabilities

    @property
    def limits(self) -> Capabilities:
        """This account's capabilities (see `capabilities_for`)."""
        return type(self).capabilities_for(self.account)

    # Every network publishes, deletes and lists its own recent posts: publishing without
    # reconciliation could post twice, so these have no "not available" fallback.

    @abstractmethod
    def publish(self, payload: PostPayload, *, idempotency_key: str | None = None) -> ExternalRef:
        """Publish a post. Networks without idempotency keys ignore `idempotency_key`."""

    @abstractmethod
    def delete(self, ref_id: str) -> None:
        """Delete a post by its network id; PostNotFound when the network does not have it."""

    @abstractmethod
    def recent_own_posts(self, limit: int = 20) -> list[OwnPost]:
        """The account's newest posts, newest first."""

    # Every network reads a post by id: a quote sends the quoted post's words out with ours, and
    # the consent check must read them, so this has no "not available" fallback either.

    @abstractmethod
    def fetch_post(self, post_id: str) -> FetchedPost:
        """Any public post by its network id; PostNotFound when the network does not have it."""

    def check_connection(self) -> NetworkUser:
        """Who the network says we are signed in as; raises NetworkError when the connection is broken."""
        raise self._unavailable("Checking the connection")

    def upload_media(self, image: bytes, alt_text: str) -> MediaRef:
        """Upload one image with its alt text; returns the id a PostPayload refers to."""
        raise self._unavailable("Posting images")

    def mentions(self, since: str | None = None) -> list[Mention]:
        """Posts mentioning the account, oldest first, after the mention id `since` when given."""
        raise self._unavailable("Reading mentions")

    def followers(self, cursor: str | None = None) -> tuple[list[NetworkUser], str | None]:
        """One page of followers and the cursor of the next page (None on the last page)."""
        raise self._unavailable("Reading the follower list")

    def mute(self, user_id: str) -> None:
        raise self._unavailable("Muting an account")

    def block(self, user_id: str) -> None:
        raise self._unavailable("Blocking an account")

    def unmute(self, user_id: str) -> None:
        raise self._unavailable("Unmuting an account")

    def unblock(self, user_id: str) -> None:
        raise self._unavailable("Unblocking an account")

    def hide_reply(self, post_id: str) -> None:
        raise self._unavailable("Hiding a reply")

    def report(self, user_id: str, reason: str, post_ids: list[str] | None = None) -> None:
        """Report an account (and some of its posts) to the network's or server's moderators."""
        raise self._unavailable("Reporting an account to the network's moderators")

    def remove_follower(self, user_id: str) -> None:
        raise self._unavailable("Removing a follower")

    def set_reply_controls(self, post_id: str, allow: str) -> None:
        """Limit who may reply to one of the account's posts (`allow`: "everyone",
        "mentioned", "following", "nobody")."""
        raise self._unavailable("Limiting who may reply")

    def follow(self, user_id: str) -> None:
        raise self._unavailable("Following an account")

    def unfollow(self, user_id: str) -> None:
        raise self._unavailable("Unfollowing an account")

    def user_by_handle(self, handle: str) -> NetworkUser:
        """Look an account up by its handle (without the @); PostNotFound-like permanent error when absent."""
        raise self._unavailable("Looking up an account")

    def block_url(self, user: NetworkUser) -> str:
        """Where an admin blocks this user by hand when the API cannot (empty when unknown)."""
        return user.url

    # Checks every adapter runs before calling out, so limits fail the same way everywhere.

    def check_payload(self, payload: PostPayload) -> None:
        limit = self.limits.max_images
        if len(payload.media) > limit:
            raise NetworkError(f"A post can have at most {limit} images on {self.label}.", permanent=True)
        if not payload.text.strip() and not payload.media:
            raise NetworkError("A post needs some text or an image.", permanent=True)

    def check_media(self, image: bytes, alt_text: str) -> None:
        caps = self.limits
        if len(image) > caps.max_image_bytes:
            raise NetworkError(
                f"This image is {len(image) / 1_048_576:.1f} MB; {self.label} accepts images up to "
                f"{caps.max_image_bytes / 1_048_576:.0f} MB.",
                permanent=True,
            )
        if len(alt_text) > caps.alt_text_limit:
            raise NetworkError(
                f"The image description is {len(alt_text)} characters; {self.label} allows {caps.alt_text_limit}.",
                permanent=True,
            )

    # Reposts (issue 18). `post_id` is the reposted post's id as `fetch_post` takes it; the
    # returned ref is the repost's own, and `undo_repost` takes both.

    def repost(self, post_id: str) -> ExternalRef:
        """Repost someone's post without comment; the ref of the repost."""
        raise self._unavailable("Reposting")

    def undo_repost(self, repost_id: str, post_id: str) -> None:
        """Undo a repost; PostNotFound when the account no longer reposts it."""
        raise self._unavailable("Undoing a repost")

    def find_repost(self, post_id: str) -> ExternalRef | None:
        """The account's repost of this post, if it has one: how the publisher reconciles an
        unknown outcome, so a post is never reposted twice."""
        raise self._unavailable("Checking for a repost")

    def _unavailable(self, operation: str) -> NetworkError:
        return NetworkError(f"{operation} is not available on this network ({self.label}).", permanent=True)

    # Private messages (issue 18). Networks that do not offer them through their API, or not to
    # this account, say so through `capabilities.direct_messages_note`.

    def send_direct_message(
        self, recipient_handle: str, text: str, *, idempotency_key: str | None = None
    ) -> SentMessage:
        """Send `text` privately to the person with this handle (without the @). Networks that
        cannot take an idempotency key ignore it (`supports_idempotency_key`)."""
        raise self._unavailable("Sending private messages")

    def direct_messages(self, since: str | None = None) -> list[DirectMessage]:
        """Private messages others sent to the account, oldest first, after the message id `since`."""
        raise self._unavailable("Reading private messages")
