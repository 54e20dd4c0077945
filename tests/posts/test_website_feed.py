"""The school's website feed (issue 17): Atom feeds and a list of posts to show in a frame on the
school's website, with public photo addresses; only published posts, gone at once when taken down."""

import io
import xml.etree.ElementTree as ET
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Network, Role, SocialAccount
from networks.base import PostPayload
from networks.local.adapter import LocalNetwork
from posts import services
from posts.models import FaceRegion, Post, PostImage, PostStatus
from posts.selectors_feed import FEED_LENGTH
from tests.factories import make_account, make_member

ATOM = "{http://www.w3.org/2005/Atom}"
WEBSITE = "https://www.alpha.sch.uk"


def _jpeg(width=400, height=200, colour=(200, 170, 140)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://portal.example.org"
    return tmp_path


def _published(post: Post, *, minutes_ago: int = 0, url: str = "") -> Post:
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHED,
        external_id=f"ext-{post.pk}",
        external_url=url or f"https://x.com/{post.account.handle}/status/{post.pk}",
        published_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    post.refresh_from_db()
    return post


def _with_photo(post: Post, *, alt="Children with paper volcanoes", covered=False) -> PostImage:
    image = PostImage.objects.create(post=post, width=400, height=200, alt_text=alt)
    image.rendition.save("photo.jpg", ContentFile(_jpeg()), save=True)
    if covered:
        FaceRegion.objects.create(image=image, x=100, y=50, w=80, h=80, resolution=FaceRegion.Resolution.REDACTED)
    return image


def _atom(client, url) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314 - the portal's own output, not untrusted data


def _entry_texts(feed: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}content") for entry in feed.findall(f"{ATOM}entry")]


def _school_atom(school="alpha"):
    return reverse("feed_school_atom", args=[school])


def _school_list(school="alpha"):
    return reverse("feed_school_list", args=[school])


# Only published posts, as valid Atom


def test_the_feed_is_atom_with_the_published_posts_only_newest_first(client, staff, accounts, make_post):
    older = _published(make_post("Sports day: the egg and spoon race"), minutes_ago=60)
    newer = _published(make_post("Our class assembly about kindness <b>today</b>"), minutes_ago=5)
    for status in set(PostStatus) - {PostStatus.PUBLISHED}:
        hidden = make_post(f"Not yet out: {status.label}")
        Post.objects.filter(pk=hidden.pk).update(status=status)

    feed = _atom(client, _school_atom())

    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Alpha Primary: news"
    assert feed.findtext(f"{ATOM}id") == "https://portal.example.org/feeds/alpha/atom.xml"
    assert feed.findtext(f"{ATOM}updated")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    first = entries[0]
    assert first.findtext(f"{ATOM}title") == "Our class assembly about kindness <b>today</b>"
    assert first.find(f"{ATOM}link").get("href") == newer.external_url
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "Alpha Year3"
    assert first.findtext(f"{ATOM}id") == f"tag:portal.example.org,{timezone.now():%Y-%m-%d}:alpha/post/{newer.pk}"
    assert first.findtext(f"{ATOM}published") and first.findtext(f"{ATOM}updated")
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "kindness &lt;b&gt;today&lt;/b&gt;" in content.text  # the words as written, never as markup
    assert older.external_url == entries[1].find(f"{ATOM}link").get("href")
    assert not any("Not yet out" in text for text in _entry_texts(feed))


def test_an_accounts_feed_has_that_accounts_posts(client, staff, accounts, make_post):
    _published(make_post("Year 3 planted sunflowers"))
    _published(make_post("Welcome back, everyone!", author=staff.head, account=accounts.whole_school))

    feed = _atom(client, reverse("feed_account_atom", args=["alpha", accounts.year3.pk]))

    assert feed.findtext(f"{ATOM}title") == "Alpha Year3 (Alpha Primary)"
    assert [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")] == ["Year 3 planted sunflowers"]


def test_a_long_post_is_titled_by_its_first_words_and_a_photo_post_by_its_account(client, staff, accounts, make_post):
    _published(make_post("One two three four five six seven eight nine ten eleven twelve"), minutes_ago=2)
    _with_photo(_published(make_post(""), minutes_ago=1))

    titles = [entry.findtext(f"{ATOM}title") for entry in _atom(client, _school_atom()).findall(f"{ATOM}entry")]

    assert titles == ["Photos from Alpha Year3", "One two three four five six seven eight nine ten…"]


def test_photos_are_in_the_entry_with_their_descriptions(client, staff, accounts, make_post):
    image = _with_photo(_published(make_post("Volcano day")), alt='Paper volcanoes "erupting"')

    content = _entry_texts(_atom(client, _school_atom()))[0]

    url = f"https://portal.example.org/feeds/alpha/photos/{image.pk}.jpg"
    assert f'<img src="{url}" alt="Paper volcanoes &quot;erupting&quot;">' in content


def test_the_feed_keeps_to_its_length(client, staff, accounts, make_post):
    for number in range(FEED_LENGTH + 2):
        _published(make_post(f"Post number {number}"), minutes_ago=number)
    entries = _atom(client, _school_atom()).findall(f"{ATOM}entry")
    assert len(entries) == FEED_LENGTH
    assert entries[0].findtext(f"{ATOM}title") == "Post number 0"


# Taken down: gone at the next request


@pytest.fixture
def on_the_local_network(make_post, accounts):
    """A Year 3 post with a photo, really published on the local network."""
    post = make_post("Our trip to the seaside")
    image = _with_photo(post)
    ref = LocalNetwork(accounts.year3).publish(PostPayload(text=post.text, media=[]))
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHED, external_id=ref.id, external_url=ref.url, published_at=timezone.now()
    )
    post.refresh_from_db()
    return SimpleNamespace(post=post, image=image)


def test_a_post_taken_down_leaves_the_feed_the_list_and_its_photo_at_once(client, staff, on_the_local_network):
    photo = reverse("feed_photo", args=["alpha", on_the_local_network.image.pk])
    assert "Our trip to the seaside" in _entry_texts(_atom(client, _school_atom()))[0]
    assert "Our trip to the seaside" in client.get(_school_list()).content.decode()
    assert client.get(photo).status_code == 200

    services.post_take_down(actor=staff.head, post=on_the_local_network.post)

    assert _atom(client, _school_atom()).findall(f"{ATOM}entry") == []
    assert "Our trip to the seaside" not in client.get(_school_list()).content.decode()
    assert client.get(photo).status_code == 404


# One post for several accounts


@pytest.fixture
def sent_to_two_accounts(staff, accounts, make_post):
    """A whole-school post and its copy for the school's Bluesky account, both published."""
    bluesky = make_account(accounts.whole_school.school, "alpha.bsky.social")
    lead = _published(
        make_post("Harvest festival tomorrow", author=staff.head, account=accounts.whole_school), minutes_ago=10
    )
    copy = Post.objects.create(account=bluesky, author=staff.head.user, text=lead.text, part_of=lead)
    _published(copy, minutes_ago=9, url="https://bsky.app/profile/alpha.bsky.social/post/3k")
    return SimpleNamespace(lead=lead, copy=copy, bluesky=bluesky)


def test_the_school_feed_shows_a_post_for_several_accounts_once_with_the_leads_link(client, sent_to_two_accounts):
    entries = _atom(client, _school_atom()).findall(f"{ATOM}entry")

    assert len(entries) == 1
    assert entries[0].find(f"{ATOM}link").get("href") == sent_to_two_accounts.lead.external_url
    assert client.get(_school_list()).content.decode().count('<article class="feed-post"') == 1


def test_each_accounts_feed_shows_its_own_copy(client, sent_to_two_accounts):
    url = reverse("feed_account_atom", args=["alpha", sent_to_two_accounts.bluesky.pk])
    entries = _atom(client, url).findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}link").get("href") for entry in entries] == [sent_to_two_accounts.copy.external_url]


def test_when_the_lead_is_not_published_the_first_published_copy_stands_for_it(
    client, staff, sent_to_two_accounts, make_post
):
    later = Post.objects.create(
        account=make_account(sent_to_two_accounts.lead.account.school, "alpha_masto"),
        author=staff.head.user,
        text=sent_to_two_accounts.lead.text,
        part_of=sent_to_two_accounts.lead,
    )
    _published(later, minutes_ago=1)
    Post.objects.filter(pk=sent_to_two_accounts.lead.pk).update(status=PostStatus.TAKEN_DOWN)

    entries = _atom(client, _school_atom()).findall(f"{ATOM}entry")

    assert [entry.find(f"{ATOM}link").get("href") for entry in entries] == [sent_to_two_accounts.copy.external_url]
    # Still the same entry for a feed reader: its id is the post's, whichever copy stands for it.
    assert entries[0].findtext(f"{ATOM}id").endswith(f"/post/{sent_to_two_accounts.lead.pk}")


def test_a_copys_photos_are_its_leads_when_it_has_none_of_its_own(client, sent_to_two_accounts):
    image = _with_photo(sent_to_two_accounts.lead)
    Post.objects.filter(pk=sent_to_two_accounts.lead.pk).update(status=PostStatus.FAILED)

    content = _entry_texts(_atom(client, _school_atom()))[0]

    assert f"/feeds/alpha/photos/{image.pk}.jpg" in content
    assert client.get(reverse("feed_photo", args=["alpha", image.pk])).status_code == 200


# Other schools


def test_another_schools_posts_and_photos_never_appear(client, staff, accounts, make_post, outsider):
    theirs = Post.objects.create(account=outsider.account, author=outsider.head.user, text="Beta's bake sale")
    _published(theirs)
    image = _with_photo(theirs)
    _published(make_post("Alpha's own news"))

    assert _entry_texts(_atom(client, _school_atom())) == ["<p>Alpha&#x27;s own news</p>"]
    assert "Beta's bake sale" not in client.get(_school_list()).content.decode()
    assert client.get(reverse("feed_account_atom", args=["alpha", outsider.account.pk])).status_code == 404
    assert client.get(reverse("feed_account_list", args=["alpha", outsider.account.pk])).status_code == 404
    assert client.get(reverse("feed_photo", args=["alpha", image.pk])).status_code == 404
    assert client.get(reverse("feed_photo", args=["beta", image.pk])).status_code == 200


# Public photos


def test_a_drafts_photo_has_no_public_address(client, staff, accounts, make_post):
    image = _with_photo(make_post("Not approved yet"))
    for status in (PostStatus.DRAFT, PostStatus.SUBMITTED, PostStatus.APPROVED, PostStatus.SCHEDULED):
        Post.objects.filter(pk=image.post_id).update(status=status)
        assert client.get(reverse("feed_photo", args=["alpha", image.pk])).status_code == 404, status


def test_a_published_photo_is_served_with_covered_faces_covered_and_asked_for_again_each_time(
    client, staff, accounts, make_post
):
    image = _with_photo(_published(make_post("Class photo")), covered=True)
    url = reverse("feed_photo", args=["alpha", image.pk])

    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-cache"
    with Image.open(io.BytesIO(response.content)) as served:
        inside_the_face, elsewhere = served.convert("RGB").getpixel((140, 90)), served.convert("RGB").getpixel((20, 20))
    assert max(abs(a - b) for a, b in zip(inside_the_face, (200, 170, 140), strict=True)) > 40
    assert max(abs(a - b) for a, b in zip(elsewhere, (200, 170, 140), strict=True)) < 10

    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_a_published_photo_in_object_storage_is_sent_by_the_portal_not_linked(
    s3_store, client, staff, accounts, make_post
):
    post = make_post("Science week")
    services.post_add_image(actor=staff.teacher, post=post, data=_jpeg(), alt_text="Bubbles")
    image = _published(post).images.get()

    response = client.get(reverse("feed_photo", args=["alpha", image.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:2] == b"\xff\xd8"


# The list of posts for the school's website


def test_the_list_shows_posts_photos_and_dates_without_sign_in_or_cookies(client, staff, accounts, make_post):
    SocialAccount.objects.filter(pk=accounts.year3.pk).update(network=Network.X)
    post = _published(make_post("Forest school <3"))
    image = _with_photo(post)

    response = client.get(_school_list())

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>News from Alpha Primary</h1>" in page
    assert "Forest school &lt;3" in page
    assert f'src="/feeds/alpha/photos/{image.pk}.jpg" alt="Children with paper volcanoes"' in page
    assert f'<time datetime="{timezone.localtime(post.published_at).isoformat()}">' in page
    assert "See this post on X" in page and post.external_url in page
    assert 'class="topbar"' not in page and "<script" not in page
    assert response.cookies == {}


def test_without_a_website_set_nobody_may_frame_the_list(client, staff, accounts):
    response = client.get(_school_list())
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_with_a_website_set_only_that_website_may_frame_the_list(client, school, staff, accounts):
    school.website_url = f"{WEBSITE}/about/news"
    school.save()

    for url in (_school_list(), reverse("feed_account_list", args=["alpha", accounts.year3.pk])):
        response = client.get(url)
        assert "X-Frame-Options" not in response
        assert f"frame-ancestors {WEBSITE};" in response["Content-Security-Policy"] + ";"
    # The portal's own pages stay unframable.
    assert client.get(reverse("account_login"))["X-Frame-Options"] == "DENY"


def test_the_list_reads_a_fixed_number_of_queries(client, staff, accounts, make_post, django_assert_max_num_queries):
    for number in range(12):
        _with_photo(_published(make_post(f"Post {number}")))
    with django_assert_max_num_queries(4):
        assert client.get(_school_list()).status_code == 200


# The headteacher's switch


def test_with_the_feed_turned_off_every_address_is_not_found(client, school, staff, accounts, make_post):
    image = _with_photo(_published(make_post("Fun run")))
    school.public_feed = False
    school.save()

    for url in (
        _school_atom(),
        _school_list(),
        reverse("feed_account_atom", args=["alpha", accounts.year3.pk]),
        reverse("feed_account_list", args=["alpha", accounts.year3.pk]),
        reverse("feed_photo", args=["alpha", image.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_a_school_that_does_not_exist_has_no_feed(client, db):
    assert client.get(_school_atom("nowhere")).status_code == 404
    assert client.get(_school_list("nowhere")).status_code == 404


def test_a_new_approver_without_an_authenticator_still_sees_the_feed(client_for, school, staff, accounts, make_post):
    newcomer = make_member(school, "new.deputy@alpha.test", [Role.SENIOR_LEADER])
    client = client_for(newcomer)
    _published(make_post("Choir concert"))

    assert "Choir concert" in client.get(_school_list()).content.decode()
    assert _atom(client, _school_atom()).findall(f"{ATOM}entry")
    # Everything else still waits for the authenticator.
    assert client.get(reverse("website_feed"))["Location"] == reverse("second_factor_required")
