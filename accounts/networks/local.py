"""The built-in network: posts go into the portal's own database and appear on a public-looking
timeline page per account (`/local/<handle>/`), so a new install works end to end with no
credentials. It keeps X's limits, so what works here works on X."""

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from accounts.models import LocalNetworkMedia, LocalNetworkPost, SocialAccount

from .base import (
    Capabilities,
    ExternalRef,
    LengthRule,
    MediaRef,
    Mention,
    Network,
    NetworkError,
    NetworkUser,
    OwnPost,
    PostNotFound,
    PostPayload,
)


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
        supports_hide_reply=False,
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
        media.file.save("image.jpg", ContentFile(image), save=False)
        media.save()
        return str(media.pk)

    def mentions(self, since: str | None = None) -> list[Mention]:
        """Nobody else is on the local network yet (issue 7 adds simulated followers and mentions)."""
        return []

    def followers(self, cursor: str | None = None) -> tuple[list[NetworkUser], str | None]:
        return [], None

    def mute(self, user_id: str) -> None:
        """Accepted and nothing else: there are no other people on the local network to mute yet.
        The portal's own record of the mute is what the moderation pages show."""

    def block(self, user_id: str) -> None:
        """Accepted, like `mute`: there is nobody on the local network to block yet."""

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
        .select_related("quote_of__account", "reply_to__account")
        .prefetch_related(Prefetch("media", queryset=LocalNetworkMedia.objects.exclude(file="")))
    )
    if before is not None:
        posts = posts.filter(pk__lt=before)
    return posts.order_by("-pk")


def servable_media(*, pk: int) -> LocalNetworkMedia:
    """An image that the public may see: on a live post of a local-network account."""
    return LocalNetworkMedia.objects.exclude(file="").get(
        pk=pk, post__isnull=False, post__deleted_at__isnull=True, post__account__network="local"
    )
