"""An S3-compatible object store for tests: moto's server, started on a free port of 127.0.0.1,
with the portal's two media storages pointed at two of its buckets (as MEDIA_STORAGE=s3 does).
The portal's storage code runs unchanged (django-storages, boto3, real HTTP).

    def test_something(s3_store):
        s3_store.keys(s3_store.private_bucket)    # what is stored, as the object store sees it
        s3_store.stop() / s3_store.start()        # the store stops answering, then comes back
        s3_store.client                           # a boto3 S3 client of the test's own

Stopping keeps what was stored: moto keeps its buckets in this process, not in the server thread.
Registered for the whole suite in tests/conftest.py; every other test keeps the local disk.
"""

import logging
import socket
import uuid
from dataclasses import dataclass, field

import boto3
import pytest
from botocore.config import Config

REGION = "eu-west-2"
KEY_ID, SECRET = "portal-test", "portal-test-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def storage_options(endpoint: str, bucket: str, location: str) -> dict:
    """The OPTIONS the settings give S3Storage, for this server (one attempt: a stopped store
    fails at once rather than after retries)."""
    return {
        "bucket_name": bucket,
        "location": location,
        "access_key": KEY_ID,
        "secret_key": SECRET,
        "region_name": REGION,
        "endpoint_url": endpoint,
        "addressing_style": "path",
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
        "client_config": Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1, "mode": "standard"}),
    }


@dataclass
class S3Store:
    server: object
    endpoint: str
    media_bucket: str
    private_bucket: str
    client: object = field(repr=False)

    def stop(self) -> None:
        """Stop answering: connections are refused, as by a store that is down."""
        self.server.stop()
        # moto's stop() leaves the listening socket open (connections would hang, not fail, and
        # the port could not be reused): close it.
        self.server._server.server_close()

    def start(self) -> None:
        self.server.start()

    def keys(self, bucket: str) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def storages(self) -> dict:
        return {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": storage_options(self.endpoint, self.media_bucket, "media"),
            },
            "private": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": storage_options(self.endpoint, self.private_bucket, "private"),
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }


@pytest.fixture
def s3_store(settings, tmp_path):
    """Both media storages in a fresh moto S3 server; MEDIA_ROOT points at an empty folder so a
    test can show that nothing went to the local disk."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    suffix = uuid.uuid4().hex[:8]
    store = S3Store(server, endpoint, f"portal-media-{suffix}", f"portal-private-{suffix}", client)
    for bucket in (store.media_bucket, store.private_bucket):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.MEDIA_ROOT = str(tmp_path / "local-media")
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = store.storages()
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = ""
    settings.MEDIA_SIGNED_LINK_SECONDS = 300
    try:
        yield store
    finally:
        store.stop()
