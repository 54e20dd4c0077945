"""The built-in network: posts go into the portal's own database and appear on a public-looking
timeline page per account (`/local/<handle>/`), so a new install works end to end with no
credentials. It keeps X's limits, so what works here works on X."""

import contextlib
import errno
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

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
    SentMessage,
)
from networks.local.models import (
    LocalNetworkDirectMessage,
    LocalNetworkFollow,
    LocalNetworkMedia,
    LocalNetworkMention,
    LocalNetworkPost,
    LocalNetworkRelation,
    LocalNetworkReport,
    LocalNetworkUser,
    ReplyControl,
)
from policy_portal.storage import is_store_failure

FOLLOWERS_PAGE_SIZE = 100
MENTIONS_PAGE_SIZE = 100


class LocalNetwork(Network):
    label = "the local network"
    capabilities = Capabilities(
        max_length=280,
        length_rule=LengthRule.X_WEIGHTED,
        max_images=4,
        max_image_bytes=5 * 1024 * 1024,
        alt_text_limit=1000,
        supports_block=True,
        supports_idempotency_key=True,
        supports_follower_list=True,
        supports_hide_reply=True,
        # Every moderation call any network offers, so the demo shows each of the portal's actions.
        supports_mute=True,
        supports_report=True,
        supports_remove_follower=True,
        supports_reply_controls=True,
        # Like X, so a demo on the local network shows what a link will look like there.
        shows_link_previews=True,
        supports_repost=True,
        supports_direct_messages=True,
        direct_messages_note="Messages stay inside the portal's own network: nobody outside the school reads them.",
    )

    def publish(self, payload: PostPayload, *, idempotency_key: str | None = None) -> ExternalRef:
        if idempotency_key:
            existing = self._post_for_key(idempotency_key)
            if existing is not None:
                return post_ref(existing)
        self.check_payload(payload)
        try:
            with transaction.atomic():
                post = LocalNetworkPost.objects.create(
                    account=self.account,
                    text=payload.text,
                    quote_of=self._live_post(payload.quote_of, "The post being quoted"),
                    reply_to=self._live_post(payload.reply_to, "The post being replied to"),
                    idempotency_key=idempotency_key or None,
                )
                self._attach_media(post, payload.media)
        except IntegrityError:
            # Two publishers raced with one key: the other one's insert won, so its post is ours.
            existing = self._post_for_key(idempotency_key) if idempotency_key else None
            if existing is None:
                raise
            return post_ref(existing)
        return post_ref(post)

    def delete(self, ref_id: str) -> None:
        post_id = _parse_id(ref_id)
        posts = LocalNetworkPost.objects.filter(account=self.account, pk=post_id)
        if not posts.filter(deleted_at__isnull=True).update(deleted_at=timezone.now()):
            if posts.exists():
                raise PostNotFound(f"Post {ref_id} was already deleted from @{self.account.handle}.")
            raise PostNotFound(f"There is no post {ref_id} on @{self.account.handle}.")
        # Taken-down photos must not linger (consent can be withdrawn); the rows keep the alt text.
        for media in LocalNetworkMedia.objects.filter(post_id=post_id).exclude(file=""):
            media.file.delete(save=False)
            media.save(update_fields=["file"])

    def recent_own_posts(self, limit: int = 20) -> list[OwnPost]:
        posts = LocalNetworkPost.objects.filter(account=self.account, deleted_at__isnull=True).order_by("-pk")[:limit]
        return [
            OwnPost(id=str(post.pk), text=post.text, created_at=post.created_at, url=post_url(self.account, post.pk))
            for post in posts
        ]

    def fetch_post(self, post_id: str) -> FetchedPost:
        """Any live post on the local network (every account's timeline is public)."""
        post = (
            LocalNetworkPost.objects.select_related("account")
            .filter(pk=_parse_id(post_id), deleted_at__isnull=True)
            .first()
        )
        if post is None:
            raise PostNotFound(f"There is no post {post_id} on the local network (it may have been deleted).")
        return FetchedPost(
            id=str(post.pk),
            text=post.text,
            author_handle=post.account.handle,
            url=post_url(post.account, post.pk),
            media=tuple(
                FetchedMedia(
                    url=f"{settings.SITE_URL}{reverse('local_network_media', args=[media.pk])}",
                    alt_text=media.alt_text,
                )
                for media in post.media.exclude(file="")
            ),
        )

    def repost(self, post_id: str) -> ExternalRef:
        original = self._live_post(post_id, "The post being reposted")
        if original.repost_of_id is not None:
            original = original.repost_of  # reposting a repost shares the post itself, as on X
        try:
            with transaction.atomic():
                repost = LocalNetworkPost.objects.create(account=self.account, repost_of=original)
        except IntegrityError:
            # Reposted already (an earlier attempt that got through): that repost is this one.
            existing = self.find_repost(str(original.pk))
            if existing is None:
                raise
            return existing
        return post_ref(repost)

    def undo_repost(self, repost_id: str, post_id: str) -> None:
        self.delete(repost_id)

    def find_repost(self, post_id: str) -> ExternalRef | None:
        repost = LocalNetworkPost.objects.filter(
            account=self.account, repost_of_id=_parse_id(post_id), deleted_at__isnull=True
        ).first()
        return post_ref(repost) if repost is not None else None

    def check_connection(self) -> NetworkUser:
        return NetworkUser(
            id=str(self.account.pk),
            handle=self.account.handle,
            display_name=self.account.display_name,
            url=f"{settings.SITE_URL}{reverse('local_timeline', args=[self.account.handle])}",
        )

    def upload_media(self, image: bytes, alt_text: str) -> MediaRef:
        self.check_media(image, alt_text)
        try:
            with Image.open(io.BytesIO(image)) as opened:
                image_format, (width, height) = opened.format, opened.size
                opened.verify()
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
            raise NetworkError("This file is not an image the local network can read.", permanent=True) from exc
        if image_format != "JPEG":
            raise NetworkError("The local network accepts JPEG images only.", permanent=True)
        media = LocalNetworkMedia(account=self.account, alt_text=alt_text, width=width, height=height)
        # The name is chosen once, so a write cut short (a full disk) can be found and removed:
        # Django's FileSystemStorage leaves what it had written.
        name = media.file.field.generate_filename(media, "image.jpg")
        try:
            media.file.name = media.file.storage.save(name, ContentFile(image))
        except OSError as exc:
            with contextlib.suppress(Exception):
                if media.file.storage.exists(name):
                    media.file.storage.delete(name)
            raise NetworkError(
                f"The portal could not store this post's photo ({len(image) / 1_000_000:.1f} MB) on the local "
                f"timeline: {'its storage is full' if exc.errno in (errno.ENOSPC, errno.EDQUOT) else exc.strerror}. "
                "The portal will try again; tell whoever runs it if this does not clear."
            ) from exc
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            raise NetworkError("The portal's photo store did not answer; the image was not uploaded.") from exc
        try:
            media.save()
        except BaseException:
            media.file.delete(save=False)  # the file first, the row last: no file without its row
            raise
        return str(media.pk)

    # The audience: simulated people (networks.local.models.LocalNetworkUser) who follow and mention
    # the school's accounts. Ids are the rows' pks, as strings, like X's numeric ids.

    def mentions(self, since: str | None = None) -> list[Mention]:
        """Mentions of the account, oldest first, after the mention id `since`; a blocked author's
        mentions stop appearing (as on X), a muted author's still do (the inbox still sees them)."""
        mentions = (
            LocalNetworkMention.objects.filter(account=self.account)
            .exclude(author__relations__account=self.account, author__relations__kind=LocalNetworkRelation.Kind.BLOCK)
            .select_related("author")
            .order_by("pk")
        )
        if since:
            mentions = mentions.filter(pk__gt=_parse_user_id(since, "mention"))
        return [
            Mention(
                id=str(mention.pk),
                text=mention.text,
                created_at=mention.created_at,
                author=network_user(mention.author),
                url=mention_url(mention),
                in_reply_to=str(mention.in_reply_to_id) if mention.in_reply_to_id else None,
                conversation_id=str(mention.conversation_root_id) if mention.conversation_root_id else None,
            )
            for mention in mentions[:MENTIONS_PAGE_SIZE]
        ]

    def followers(self, cursor: str | None = None) -> tuple[list[NetworkUser], str | None]:
        follows = (
            LocalNetworkFollow.objects.filter(
                account=self.account, direction=LocalNetworkFollow.Direction.USER_FOLLOWS_ACCOUNT
            )
            .select_related("user")
            .order_by("pk")
        )
        if cursor:
            follows = follows.filter(pk__gt=_parse_user_id(cursor, "cursor"))
        page = list(follows[: FOLLOWERS_PAGE_SIZE + 1])
        next_cursor = str(page[FOLLOWERS_PAGE_SIZE - 1].pk) if len(page) > FOLLOWERS_PAGE_SIZE else None
        return [network_user(follow.user) for follow in page[:FOLLOWERS_PAGE_SIZE]], next_cursor

    def mute(self, user_id: str) -> None:
        LocalNetworkRelation.objects.get_or_create(
            account=self.account, user=self._person(user_id), kind=LocalNetworkRelation.Kind.MUTE
        )

    def unmute(self, user_id: str) -> None:
        LocalNetworkRelation.objects.filter(
            account=self.account, user=self._person(user_id), kind=LocalNetworkRelation.Kind.MUTE
        ).delete()

    def block(self, user_id: str) -> None:
        """Blocking ends the follows both ways, as on X."""
        person = self._person(user_id)
        with transaction.atomic():
            LocalNetworkRelation.objects.get_or_create(
                account=self.account, user=person, kind=LocalNetworkRelation.Kind.BLOCK
            )
            LocalNetworkFollow.objects.filter(account=self.account, user=person).delete()

    def unblock(self, user_id: str) -> None:
        """Following again is up to them: an unblocked person does not come back as a follower."""
        LocalNetworkRelation.objects.filter(
            account=self.account, user=self._person(user_id), kind=LocalNetworkRelation.Kind.BLOCK
        ).delete()

    def hide_reply(self, post_id: str) -> None:
        mention = (
            LocalNetworkMention.objects.filter(account=self.account, pk=_parse_user_id(post_id, "post"))
            .select_related("conversation_root")
            .first()
        )
        if mention is None:
            raise PostNotFound(f"There is no reply {post_id} to @{self.account.handle} on the local network.")
        root = mention.conversation_root
        if mention.in_reply_to_id is None or root is None or root.account_id != self.account.pk:
            raise NetworkError(
                f"Only replies in conversations that @{self.account.handle} started can be hidden.", permanent=True
            )
        LocalNetworkMention.objects.filter(pk=mention.pk, hidden_at__isnull=True).update(hidden_at=timezone.now())

    def report(self, user_id: str, reason: str, post_ids: list[str] | None = None) -> None:
        """Kept as a row: nobody moderates the local network, but the demo shows what was sent."""
        person = self._person(user_id)
        if not reason.strip():
            raise NetworkError("A report needs a reason.", permanent=True)
        reported = [str(mention.pk) for mention in self._their_mentions(person, post_ids or [])]
        LocalNetworkReport.objects.create(account=self.account, user=person, reason=reason.strip(), post_ids=reported)

    def remove_follower(self, user_id: str) -> None:
        """They stop following the account; they may follow it again (blocking stops that)."""
        LocalNetworkFollow.objects.filter(
            account=self.account,
            user=self._person(user_id),
            direction=LocalNetworkFollow.Direction.USER_FOLLOWS_ACCOUNT,
        ).delete()

    def set_reply_controls(self, post_id: str, allow: str) -> None:
        if allow not in ReplyControl.values:
            raise NetworkError(f"“{allow}” is not a choice of who may reply on the local network.", permanent=True)
        updated = LocalNetworkPost.objects.filter(
            account=self.account, pk=_parse_id(post_id), deleted_at__isnull=True
        ).update(reply_controls=allow)
        if not updated:
            raise PostNotFound(f"@{self.account.handle} has no post {post_id} on the local network.")

    def follow(self, user_id: str) -> None:
        person = self._person(user_id)
        if LocalNetworkRelation.objects.filter(
            account=self.account, user=person, kind=LocalNetworkRelation.Kind.BLOCK
        ).exists():
            raise NetworkError(
                f"@{self.account.handle} has blocked @{person.handle}: unblock them first.", permanent=True
            )
        LocalNetworkFollow.objects.get_or_create(
            account=self.account, user=person, direction=LocalNetworkFollow.Direction.ACCOUNT_FOLLOWS_USER
        )

    def unfollow(self, user_id: str) -> None:
        LocalNetworkFollow.objects.filter(
            account=self.account,
            user=self._person(user_id),
            direction=LocalNetworkFollow.Direction.ACCOUNT_FOLLOWS_USER,
        ).delete()

    def user_by_handle(self, handle: str) -> NetworkUser:
        handle = handle.strip().removeprefix("@")
        person = LocalNetworkUser.objects.filter(handle__iexact=handle).first()
        if person is None:
            raise PostNotFound(f"There is nobody called @{handle} on the local network.")
        return network_user(person)

    def block_url(self, user: NetworkUser) -> str:
        return person_url(user.handle)

    # Private messages (issue 18): the account's conversations with simulated people.

    def send_direct_message(
        self, recipient_handle: str, text: str, *, idempotency_key: str | None = None
    ) -> SentMessage:
        if not text.strip():
            raise NetworkError("A message needs some text.", permanent=True)
        handle = recipient_handle.strip().removeprefix("@")
        person = LocalNetworkUser.objects.filter(handle__iexact=handle).first()
        if person is None:
            raise NetworkError(f"There is nobody called @{handle} on the local network.", permanent=True)
        if LocalNetworkRelation.objects.filter(
            account=self.account, user=person, kind=LocalNetworkRelation.Kind.BLOCK
        ).exists():
            raise NetworkError(f"@{person.handle} is blocked, so the account cannot message them.", permanent=True)
        if idempotency_key:
            earlier = LocalNetworkDirectMessage.objects.filter(idempotency_key=idempotency_key).first()
            if earlier is not None:
                if earlier.account_id != self.account.pk:
                    raise NetworkError("This idempotency key was already used by another account.", permanent=True)
                return SentMessage(id=str(earlier.pk), conversation_id=str(person.pk))
        try:
            with transaction.atomic():
                message = LocalNetworkDirectMessage.objects.create(
                    account=self.account,
                    person=person,
                    direction=LocalNetworkDirectMessage.Direction.FROM_ACCOUNT,
                    text=text,
                    idempotency_key=idempotency_key or None,
                )
        except IntegrityError:
            # The same key sent twice at once: the other one got there first.
            message = LocalNetworkDirectMessage.objects.get(idempotency_key=idempotency_key)
        return SentMessage(id=str(message.pk), conversation_id=str(person.pk))

    def direct_messages(self, since: str | None = None) -> list[DirectMessage]:
        """Messages people sent the account, oldest first; a blocked person's stop arriving."""
        received = (
            LocalNetworkDirectMessage.objects.filter(
                account=self.account, direction=LocalNetworkDirectMessage.Direction.TO_ACCOUNT
            )
            .exclude(person__relations__account=self.account, person__relations__kind=LocalNetworkRelation.Kind.BLOCK)
            .select_related("person")
            .order_by("pk")
        )
        if since:
            received = received.filter(pk__gt=_parse_user_id(since, "message"))
        return [
            DirectMessage(
                id=str(message.pk),
                text=message.text,
                created_at=message.created_at,
                sender=network_user(message.person),
                conversation_id=str(message.person_id),
            )
            for message in received[:MENTIONS_PAGE_SIZE]
        ]

    def _person(self, user_id: str) -> LocalNetworkUser:
        person = LocalNetworkUser.objects.filter(pk=_parse_user_id(user_id, "user")).first()
        if person is None:
            raise NetworkError(f"There is no user {user_id} on the local network.", permanent=True)
        return person

    def _their_mentions(self, person: LocalNetworkUser, post_ids: list[str]) -> list[LocalNetworkMention]:
        ids = [_parse_user_id(post_id, "post") for post_id in post_ids]
        mentions = list(LocalNetworkMention.objects.filter(pk__in=ids, author=person, account=self.account))
        if len(mentions) != len(set(ids)):
            raise NetworkError(
                f"Only posts by @{person.handle} that mention @{self.account.handle} can go with a report.",
                permanent=True,
            )
        return mentions

    def _post_for_key(self, idempotency_key: str) -> LocalNetworkPost | None:
        post = LocalNetworkPost.objects.select_related("account").filter(idempotency_key=idempotency_key).first()
        if post is not None and post.account_id != self.account.pk:
            raise NetworkError("This idempotency key was already used by another account.", permanent=True)
        return post

    def _live_post(self, ref_id: str | None, what: str) -> LocalNetworkPost | None:
        if ref_id is None:
            return None
        post = LocalNetworkPost.objects.filter(pk=_parse_id(ref_id), deleted_at__isnull=True).first()
        if post is None:
            raise NetworkError(f"{what} is not on the local network any more.", permanent=True)
        return post

    def _attach_media(self, post: LocalNetworkPost, media_ids: list[MediaRef]) -> None:
        for position, media_id in enumerate(media_ids):
            attached = LocalNetworkMedia.objects.filter(
                pk=_parse_id(media_id), account=self.account, post__isnull=True
            ).update(post=post, position=position)
            if not attached:
                raise NetworkError(
                    f"Image {media_id} was not uploaded to @{self.account.handle}, or is already in another post.",
                    permanent=True,
                )


def _parse_id(ref_id: str) -> int:
    try:
        return int(ref_id)
    except (TypeError, ValueError):
        raise PostNotFound(f"“{ref_id}” is not an id on the local network.") from None


def _parse_user_id(ref_id: str, what: str) -> int:
    try:
        return int(ref_id)
    except (TypeError, ValueError):
        raise NetworkError(f"“{ref_id}” is not a {what} id on the local network.", permanent=True) from None


def person_url(handle: str) -> str:
    return f"{settings.SITE_URL}{reverse('local_person', args=[handle])}"


def mention_url(mention: LocalNetworkMention) -> str:
    return f"{person_url(mention.author.handle)}#mention-{mention.pk}"


def network_user(person: LocalNetworkUser) -> NetworkUser:
    return NetworkUser(
        id=str(person.pk),
        handle=person.handle,
        display_name=person.display_name,
        description=person.bio,
        created_at=person.created_at,
        followers_count=person.followers_count,
        following_count=person.following_count,
        posts_count=person.posts_count,
        url=person_url(person.handle),
        is_private=person.is_private,
    )


def post_url(account: SocialAccount, post_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('local_timeline', args=[account.handle])}#post-{post_id}"


def post_ref(post: LocalNetworkPost) -> ExternalRef:
    return ExternalRef(id=str(post.pk), url=post_url(post.account, post.pk))


# Reads for the public timeline pages (the local network's own "API").


def timeline_account(*, handle: str) -> SocialAccount:
    """The local-network account with this handle; SocialAccount.DoesNotExist otherwise."""
    return SocialAccount.objects.select_related("school", "class_group").get(network="local", handle=handle)


def timeline_posts(*, account: SocialAccount, before: int | None = None) -> QuerySet[LocalNetworkPost]:
    """The account's live posts, newest first (older than the post id `before`, when given),
    with everything the timeline shows fetched in a fixed number of queries. Slice it."""
    posts = (
        LocalNetworkPost.objects.filter(account=account, deleted_at__isnull=True)
        .select_related("quote_of__account", "reply_to__account", "repost_of__account")
        .prefetch_related(
            Prefetch("media", queryset=LocalNetworkMedia.objects.exclude(file="")),
            Prefetch("repost_of__media", queryset=LocalNetworkMedia.objects.exclude(file="")),
        )
    )
    if before is not None:
        posts = posts.filter(pk__lt=before)
    return posts.order_by("-pk")


@dataclass(frozen=True)
class LinkCard:
    """The preview card the timeline shows under a post for a link in its text."""

    url: str
    site: str
    title: str
    description: str


# The cards come from the portal, which read each linked page before the post went out (as X
# reads it when a post is published). `posts` registers where to find them: `accounts` may not
# import it. Given a page of posts, the source returns their cards by post id, in a fixed number
# of queries.
LinkCardSource = Callable[[list[LocalNetworkPost]], dict[int, list[LinkCard]]]
_link_card_source: LinkCardSource | None = None


def set_link_card_source(source: LinkCardSource | None) -> None:
    global _link_card_source
    _link_card_source = source


def link_cards(posts: list[LocalNetworkPost]) -> dict[int, list[LinkCard]]:
    """The preview cards of a page of timeline posts, by post id (none while nothing provides them)."""
    if _link_card_source is None or not posts:
        return {}
    return _link_card_source(posts)


def servable_media(*, pk: int) -> LocalNetworkMedia:
    """An image that the public may see: on a live post of a local-network account."""
    return LocalNetworkMedia.objects.exclude(file="").get(
        pk=pk, post__isnull=False, post__deleted_at__isnull=True, post__account__network="local"
    )


def person(*, handle: str) -> LocalNetworkUser:
    """A simulated person by handle, for their public profile page; LocalNetworkUser.DoesNotExist otherwise."""
    return LocalNetworkUser.objects.get(handle=handle)


def person_posts(*, person: LocalNetworkUser, limit: int = 30) -> QuerySet[LocalNetworkMention]:
    """What a person has posted (their mentions of school accounts), newest first, with the
    accounts and the posts they reply to in a fixed number of queries."""
    return (
        LocalNetworkMention.objects.filter(author=person)
        .select_related("account", "in_reply_to__account")
        .order_by("-pk")[:limit]
    )


# The simulation's own writes: what people on the local network do of their own accord. Used by
# the demo data and by tests; nothing in the portal's workflow calls these.


def simulate_person(handle: str, **profile) -> LocalNetworkUser:
    """The person with this handle, made with `profile` (display_name, bio, created_at, counts)
    the first time; an existing person is left as they are."""
    person, _ = LocalNetworkUser.objects.get_or_create(handle=handle, defaults=profile)
    return person


def simulate_follow(person: LocalNetworkUser, account: SocialAccount) -> None:
    """`person` follows `account`; refused, as on X, when the account has blocked them."""
    if LocalNetworkRelation.objects.filter(account=account, user=person, kind=LocalNetworkRelation.Kind.BLOCK).exists():
        raise NetworkError(f"@{person.handle} cannot follow @{account.handle}: they are blocked.", permanent=True)
    LocalNetworkFollow.objects.get_or_create(
        account=account, user=person, direction=LocalNetworkFollow.Direction.USER_FOLLOWS_ACCOUNT
    )


def simulate_mention(
    person: LocalNetworkUser,
    account: SocialAccount,
    text: str,
    *,
    in_reply_to: LocalNetworkPost | None = None,
    created_at=None,
) -> LocalNetworkMention:
    """`person` posts `text` mentioning `account`, as a reply to `in_reply_to` when given (its
    conversation is the thread that post belongs to); refused, as on Bluesky, when the reply
    controls of the post that started the conversation leave them out."""
    root = in_reply_to
    while root is not None and root.reply_to_id is not None:
        root = root.reply_to
    if root is not None and not may_reply(person, root):
        raise NetworkError(
            f"@{person.handle} cannot reply: @{root.account.handle} limited who may reply to that conversation.",
            permanent=True,
        )
    return LocalNetworkMention.objects.create(
        author=person,
        account=account,
        text=text,
        in_reply_to=in_reply_to,
        conversation_root=root,
        created_at=created_at or timezone.now(),
    )


def simulate_message(person: LocalNetworkUser, account: SocialAccount, text: str, *, created_at=None):
    """`person` sends `account` a private message; refused when the account has blocked them."""
    if LocalNetworkRelation.objects.filter(account=account, user=person, kind=LocalNetworkRelation.Kind.BLOCK).exists():
        raise NetworkError(f"@{person.handle} cannot message @{account.handle}: they are blocked.", permanent=True)
    return LocalNetworkDirectMessage.objects.create(
        account=account,
        person=person,
        direction=LocalNetworkDirectMessage.Direction.TO_ACCOUNT,
        text=text,
        created_at=created_at or timezone.now(),
    )


def may_reply(person: LocalNetworkUser, post: LocalNetworkPost) -> bool:
    """Whether the reply controls of the post that started a conversation let `person` reply in
    it (as on Bluesky, the controls hold for the whole thread). Read afresh: the school may have
    changed them since `post` was loaded."""
    allow = LocalNetworkPost.objects.filter(pk=post.pk).values_list("reply_controls", flat=True).first()
    if allow == ReplyControl.EVERYONE:
        return True
    if allow == ReplyControl.MENTIONED:
        return f"@{person.handle.lower()}" in post.text.lower()
    if allow == ReplyControl.FOLLOWING:
        return LocalNetworkFollow.objects.filter(
            account=post.account, user=person, direction=LocalNetworkFollow.Direction.ACCOUNT_FOLLOWS_USER
        ).exists()
    return False
