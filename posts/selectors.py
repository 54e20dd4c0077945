from django.db.models import Prefetch, QuerySet

from accounts.models import Membership
from consent.checks import FaceInput, PhotoInput, PostContent

from .models import FaceRegion, Post, PostImage


def posts_for_school(*, school) -> QuerySet[Post]:
    return Post.objects.filter(account__school=school).select_related("account", "author")


def post_for_school(*, school, pk: int) -> Post:
    return posts_for_school(school=school).prefetch_related(*_CONTENT_PREFETCH).get(pk=pk)


_CONTENT_PREFETCH = (
    Prefetch(
        "images",
        queryset=PostImage.objects.order_by("position", "pk").prefetch_related(
            "tagged_pupils", Prefetch("faces", queryset=FaceRegion.objects.order_by("pk"))
        ),
    ),
)


def consent_content(post: Post) -> PostContent:
    """What the consent check needs to know about a post: its account, text, tags and faces."""
    images = post.images.all()
    return PostContent(
        account=post.account,
        text=post.text,
        photos=tuple(
            PhotoInput(
                label=f"Photo {index}",
                tagged_pupil_ids=tuple(p.pk for p in image.tagged_pupils.all()),
                faces=tuple(FaceInput(resolution=f.resolution, pupil_id=f.pupil_id) for f in image.faces.all()),
            )
            for index, image in enumerate(images, start=1)
        ),
    )


def with_content(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.prefetch_related(*_CONTENT_PREFETCH)


def is_author(membership: Membership, post: Post) -> bool:
    return post.author_id == membership.user_id
