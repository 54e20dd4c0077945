"""Reads for the school's website feed (posts.feeds, issue 17): the published posts anyone may see,
and their photos.

Nothing here is cached: every request reads the posts' statuses afresh, so a post taken down is
gone from the feed, the list and its photos' addresses at the next request.
"""

import hashlib
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import School, SocialAccount

from .models import FaceRegion, Post, PostImage, PostStatus

# How many posts the feed and the list show: a website shows the latest few, and a feed reader
# keeps what it has already read.
FEED_LENGTH = 50


def feed_school(*, slug: str) -> School:
    """The school whose feed is asked for; School.DoesNotExist when there is none, or when its
    headteacher has turned the feed off (both answer "not found", so nobody learns which)."""
    return School.objects.get(slug=slug, public_feed=True)


def feed_account(*, school: School, pk: int) -> SocialAccount:
    return SocialAccount.objects.defer("credentials").select_related("school").get(school=school, pk=pk)


def feed_accounts(*, school: School) -> QuerySet[SocialAccount]:
    return SocialAccount.objects.filter(school=school).defer("credentials").select_related("class_group")


def _published(*, school: School) -> QuerySet[Post]:
    # Reposts stay off the website (issue 18): they are someone else's words, shared on the network.
    return Post.objects.filter(account__school=school, status=PostStatus.PUBLISHED, repost_url="")


def _shown_once(posts: QuerySet[Post]) -> QuerySet[Post]:
    """One row for each post written for several accounts (Post.part_of): the lead while it is
    published, otherwise its first published copy."""
    earlier_copy = Post.objects.filter(part_of=OuterRef("part_of"), status=PostStatus.PUBLISHED).filter(
        Q(published_at__lt=OuterRef("published_at")) | Q(published_at=OuterRef("published_at"), pk__lt=OuterRef("pk"))
    )
    return posts.filter(Q(part_of__isnull=True) | (~Q(part_of__status=PostStatus.PUBLISHED) & ~Exists(earlier_copy)))


def feed_posts(*, school: School, account: SocialAccount | None = None) -> list[Post]:
    """The newest FEED_LENGTH published posts of one account, or of the whole school with each post
    written for several accounts once. Each post's `feed_images` are the photos it went out with
    (a copy made at approval may have its lead's), in order. A fixed number of queries."""
    posts = _published(school=school)
    posts = posts.filter(account=account) if account is not None else _shown_once(posts)
    images = Prefetch("images", queryset=PostImage.objects.order_by("position", "pk"))
    rows = list(
        posts.select_related("account__school")
        .defer("account__credentials")
        .prefetch_related(images, Prefetch("part_of__images", queryset=PostImage.objects.order_by("position", "pk")))
        .order_by("-published_at", "-pk")[:FEED_LENGTH]
    )
    for post in rows:
        own = list(post.images.all())
        post.feed_images = own if own or post.part_of_id is None else list(post.part_of.images.all())
    return rows


@dataclass(frozen=True)
class PublicPhoto:
    image: PostImage
    # Changes whenever what the address serves could: a browser's copy with another tag is stale.
    etag: str


def public_photo(*, school: School, pk: int) -> PublicPhoto:
    """A photo the feed shows: on a published post of this school, or on the lead of a published
    copy. PostImage.DoesNotExist for any other photo (a draft's, one taken down, another
    school's), so its number reveals nothing."""
    on_show = Q(post__status=PostStatus.PUBLISHED) | Exists(
        Post.objects.filter(part_of=OuterRef("post"), status=PostStatus.PUBLISHED)
    )
    image = (
        PostImage.objects.filter(on_show, post__account__school=school, pk=pk)
        .exclude(rendition="")
        .select_related("post")
        .prefetch_related(Prefetch("faces", queryset=FaceRegion.objects.order_by("pk")))
        .get()
    )
    covered = [face.pk for face in image.faces.all() if face.resolution == FaceRegion.Resolution.REDACTED]
    version = hashlib.sha256(repr((image.pk, image.rendition.name, covered)).encode()).hexdigest()[:20]
    return PublicPhoto(image=image, etag=f'"{version}"')
