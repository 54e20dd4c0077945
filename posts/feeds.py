"""The school's website feed (issue 17): Atom feeds of the school's published posts, for the whole
school and for each account, through Django's syndication framework.

DESIGN.md sketches the website feed under networks/, but it reads posts, and networks may not
import posts, so it lives here.

Only posts with status "published" appear, newest first (posts.selectors_feed), with what went out:
the words, the photos through their public addresses (posts.views_feed.feed_photo) with their
descriptions, the link to the post where it was published, and the account's name. Nothing about
pupils, authors or approvers is in it.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from accounts.models import Network, School, SocialAccount

from .models import Post
from .selectors_feed import feed_account, feed_posts, feed_school

# The words of a post that make its title in a feed reader.
TITLE_WORDS = 10
TITLE_MAX_CHARACTERS = 80

# How the list's link names the place a post was published.
NETWORK_NAMES = {Network.X: "X", Network.BLUESKY: "Bluesky", Network.MASTODON: "Mastodon"}


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def where_published(account: SocialAccount) -> str:
    return NETWORK_NAMES.get(account.network, "the school's timeline")


def post_title(post: Post) -> str:
    """The post's first words, shortened with an ellipsis; a post of photos only says whose they are."""
    words = post.text.split()
    if not words:
        return f"Photos from {post.account.display_name}"
    title = " ".join(words[:TITLE_WORDS])
    if len(title) > TITLE_MAX_CHARACTERS:
        title = title[: TITLE_MAX_CHARACTERS - 1].rstrip()
    return title if title == " ".join(words) else f"{title}…"


def photo_url(school: School, image) -> str:
    return absolute(reverse("feed_photo", args=[school.slug, image.pk]))


class _AtomWithContent(Atom1Feed):
    """Django's Atom feed writes an entry's text as <summary>; a post's words and photos are its
    whole content, so they go in <content type="html"> instead."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class SchoolFeed(Feed):
    """/feeds/<school>/atom.xml: every account's posts, a post written for several accounts once."""

    feed_type = _AtomWithContent
    language = "en-GB"
    public_page = True  # accounts.decorators.public_page

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # Readers may keep a copy but must ask again before using it: a post taken down leaves
        # the feed at their next request.
        response["Cache-Control"] = "no-cache"
        return response

    def get_object(self, request, school: str):
        return feed_school(slug=school)

    def _school(self, obj) -> School:
        return obj

    def title(self, obj) -> str:
        return f"{obj.name}: news"

    def subtitle(self, obj) -> str:
        return f"What {obj.name} has posted on its social media accounts."

    def link(self, obj) -> str:
        return absolute(reverse("feed_school_list", args=[obj.slug]))

    def feed_url(self, obj) -> str:
        return absolute(reverse("feed_school_atom", args=[obj.slug]))

    def feed_guid(self, obj) -> str:
        return self.feed_url(obj)

    def author_name(self, obj) -> str:
        return self._school(obj).name

    def items(self, obj) -> list[Post]:
        return feed_posts(school=obj)

    def item_title(self, item: Post) -> str:
        return post_title(item)

    def item_description(self, item: Post) -> None:
        return None  # the words are the entry's content (_AtomWithContent)

    def item_link(self, item: Post) -> str:
        return item.external_url or f"{self.link(item.account.school)}#post-{item.pk}"

    def item_pubdate(self, item: Post):
        return item.published_at

    def item_updateddate(self, item: Post):
        return item.published_at

    def item_author_name(self, item: Post) -> str:
        return item.account.display_name

    def _entry_pk(self, item: Post) -> int:
        # In the whole school's feed a post written for several accounts is one entry, whichever
        # of its copies stands for it, so its id is the lead's.
        return item.part_of_id or item.pk

    def item_guid(self, item: Post) -> str:
        school = item.account.school
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{school.created_at:%Y-%m-%d}:{school.slug}/post/{self._entry_pk(item)}"

    def item_extra_kwargs(self, item: Post) -> dict:
        school = item.account.school
        photos = [(photo_url(school, image), image.alt_text) for image in item.feed_images]
        return {"content": render_to_string("posts/feed_entry.html", {"post": item, "photos": photos}).strip()}


class AccountFeed(SchoolFeed):
    """/feeds/<school>/<account>/atom.xml: one account's own posts."""

    def get_object(self, request, school: str, account: int):
        return feed_account(school=feed_school(slug=school), pk=account)

    def _school(self, obj) -> School:
        return obj.school

    def title(self, obj) -> str:
        return f"{obj.display_name} ({obj.school.name})"

    def subtitle(self, obj) -> str:
        return f"What {obj.display_name} has posted on {where_published(obj)}."

    def link(self, obj) -> str:
        return absolute(reverse("feed_account_list", args=[obj.school.slug, obj.pk]))

    def feed_url(self, obj) -> str:
        return absolute(reverse("feed_account_atom", args=[obj.school.slug, obj.pk]))

    def items(self, obj) -> list[Post]:
        return feed_posts(school=obj.school, account=obj)

    def item_link(self, item: Post) -> str:
        return item.external_url or f"{self.link(item.account)}#post-{item.pk}"

    def _entry_pk(self, item: Post) -> int:
        return item.pk
