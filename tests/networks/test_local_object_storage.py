"""The local network's images in S3-compatible object storage (issue 16): uploaded to the media
bucket, streamed by the portal only while their post is live (a signed link would outlive a
take-down), and an upload the store refuses is a temporary network error."""

import pytest
from django.urls import reverse

from networks.base import NetworkError, PostPayload
from networks.local.models import LocalNetworkMedia
from networks.registry import get_network

from .test_networks import jpeg


@pytest.fixture
def network(accounts):
    return get_network(accounts.whole_school)


def test_an_image_goes_to_the_bucket_and_is_streamed_while_its_post_is_live(s3_store, client, network):
    media_id = network.upload_media(jpeg(), "Pupils planting sunflowers")
    media = LocalNetworkMedia.objects.get(pk=media_id)
    assert s3_store.keys(s3_store.media_bucket) == [f"media/{media.file.name}"]
    url = reverse("local_network_media", args=[media_id])
    assert client.get(url).status_code == 404, "not public before its post is"

    ref = network.publish(PostPayload(text="Our garden is growing!", media=[media_id]))
    image = client.get(url)

    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content) == jpeg()
    network.delete(ref.id)
    assert client.get(url).status_code == 404


def test_a_store_that_is_down_makes_the_upload_a_temporary_error_and_keeps_no_row(s3_store, network):
    s3_store.stop()

    with pytest.raises(NetworkError) as raised:
        network.upload_media(jpeg(), "Pupils planting sunflowers")

    assert not raised.value.permanent
    assert "photo store did not answer" in raised.value.message
    assert not LocalNetworkMedia.objects.exists()
