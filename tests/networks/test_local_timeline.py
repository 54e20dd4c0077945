"""The local network's public timeline page and its image view: no sign-in, live posts only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import SocialAccount
from networks.base import PostPayload
from networks.registry import get_network

from .test_networks import jpeg, media_root  # noqa: F401 (media_root is an autouse fixture)


@pytest.fixture
def network(accounts):
    return get_network(accounts.whole_school)


def timeline(client, handle="alpha_school", **params):
    return client.get(reverse("local_timeline", args=[handle]), params)


def test_it_rejects_post(client, accounts):
    assert client.post(reverse("local_timeline", args=["alpha_school"])).status_code == 405


def test_anyone_sees_the_profile_without_signing_in(client, accounts):
    response = timeline(client, "alpha_year3")

    assertContains(response, "<h1>Alpha Year3</h1>", html=True)
    assertContains(response, "@alpha_year3")
    assertContains(response, "Alpha Primary · Year 3")
    assertContains(response, "No posts yet.")


def test_a_published_post_appears_with_its_photo_and_alt_text(client, network):
    media_id = network.upload_media(jpeg(), "Pupils planting sunflowers")
    ref = network.publish(PostPayload(text="Our garden is growing!", media=[media_id]))

    response = timeline(client)

    assertContains(response, f'id="post-{ref.id}"')
    assertContains(response, "Our garden is growing!")
    image_url = reverse("local_network_media", args=[media_id])
    assertContains(response, f'src="{image_url}" alt="Pupils planting sunflowers"')
    image = client.get(image_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content) == jpeg()
    assert "no-cache" in image["Cache-Control"]


def test_posts_are_newest_first_and_text_is_escaped(client, network):
    network.publish(PostPayload(text="First <script>alert(1)</script>"))
    network.publish(PostPayload(text="Second"))

    content = timeline(client).content.decode()

    assert content.index("Second") < content.index("First")
    assert "<script>alert(1)" not in content and "&lt;script&gt;alert(1)" in content


def test_a_deleted_post_and_its_photo_are_gone(client, network):
    media_id = network.upload_media(jpeg(), "A photo that consent no longer covers")
    ref = network.publish(PostPayload(text="Taken down", media=[media_id]))
    kept = network.publish(PostPayload(text="Still here"))

    network.delete(ref.id)

    response = timeline(client)
    assertNotContains(response, "Taken down")
    assertNotContains(response, "consent no longer covers")
    assertContains(response, f'id="post-{kept.id}"')
    assert client.get(reverse("local_network_media", args=[media_id])).status_code == 404


def test_an_uploaded_photo_is_not_public_until_its_post_is(client, network):
    media_id = network.upload_media(jpeg(), "Not yet approved")
    assert client.get(reverse("local_network_media", args=[media_id])).status_code == 404


def test_a_quote_shows_the_quoted_post_until_that_post_is_deleted(client, network, accounts):
    class_network = get_network(accounts.year3)
    quoted = class_network.publish(PostPayload(text="Year 3 visited the museum"))
    network.publish(PostPayload(text="Proud of Year 3", quote_of=quoted.id))

    response = timeline(client)
    assertContains(response, "Year 3 visited the museum")
    assertContains(response, f'href="/local/alpha_year3/#post-{quoted.id}"')

    class_network.delete(quoted.id)
    response = timeline(client)
    assertContains(response, "Proud of Year 3")
    assertNotContains(response, "Year 3 visited the museum")
    assertContains(response, "This post is no longer available.")


def test_unknown_handles_are_not_found(client, accounts):
    assert timeline(client, "nobody_here").status_code == 404


def test_accounts_on_other_networks_have_no_local_timeline(client, network, accounts):
    media_id = network.upload_media(jpeg(), "A photo")
    network.publish(PostPayload(text="Posted while local", media=[media_id]))
    SocialAccount.objects.filter(pk=accounts.whole_school.pk).update(network="x")

    assert timeline(client).status_code == 404
    assert client.get(reverse("local_network_media", args=[media_id])).status_code == 404


def test_long_timelines_are_paged_with_a_link_to_older_posts(client, network):
    refs = [network.publish(PostPayload(text=f"Post number {n}.")) for n in range(32)]

    first_page = timeline(client)
    assertContains(first_page, "Post number 31.")
    assertContains(first_page, "Post number 2.")
    assertNotContains(first_page, "Post number 1.")
    assertContains(first_page, f'href="?before={refs[2].id}"')

    second_page = timeline(client, before=refs[2].id)
    assertContains(second_page, "Post number 1.")
    assertContains(second_page, "Post number 0.")
    assertNotContains(second_page, "Post number 2.")
    assertNotContains(second_page, "Older posts")


def _publish_posts(network, quoted_network, count: int) -> None:
    quoted = quoted_network.publish(PostPayload(text="Quoted"))
    for n in range(count):
        media = [network.upload_media(jpeg(), f"Photo {n}-{i}") for i in range(2)]
        network.publish(PostPayload(text=f"Post {n}", media=media, quote_of=quoted.id, reply_to=quoted.id))


def _queries_for_timeline(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert timeline(client).status_code == 200
    return len(queries)


def test_the_timeline_does_the_same_number_of_queries_for_3_or_30_posts(client, network, accounts):
    _publish_posts(network, get_network(accounts.year3), 3)
    with_three = _queries_for_timeline(client)

    _publish_posts(network, get_network(accounts.year3), 27)
    with_thirty = _queries_for_timeline(client)

    assert with_three == with_thirty <= 3
