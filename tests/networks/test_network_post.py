"""`manage.py network_post`: an operator's connection check through the workers' adapter code."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from PIL import Image

from networks.local.models import LocalNetworkPost


def jpeg_file(tmp_path):
    path = tmp_path / "garden.jpg"
    Image.new("RGB", (320, 240), (40, 140, 40)).save(path, "JPEG")
    return path


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("network_post", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def x_user(x_stub):
    return x_stub.add_user("alpha_school")


@pytest.fixture
def token(x_stub, x_user):
    return x_stub.issue_token(x_user)["access_token"]


def test_it_posts_to_x_and_prints_the_id_then_the_address(x_stub, x_user, token):
    lines = run("--network", "x", "--token", token, "--text", "Checking the portal's connection")

    [post] = x_stub.posts_by(x_user)
    assert lines == [post["id"], f"https://x.com/alpha_school/status/{post['id']}"]
    assert post["text"] == "Checking the portal's connection"


def test_it_uploads_a_photo_with_its_description(x_stub, x_user, token, tmp_path):
    lines = run(
        "--network", "x", "--token", token, "--text", "With a photo",
        "--image", str(jpeg_file(tmp_path)), "--alt", "A vegetable bed in the school garden.",
    )  # fmt: skip

    [post] = x_stub.posts_by(x_user)
    assert lines[0] == post["id"]
    [media_id] = post["media_ids"]
    assert x_stub.media[media_id]["alt_text"] == "A vegetable bed in the school garden."


def test_a_bad_token_fails_with_the_reconnect_message(x_stub, x_user):
    with pytest.raises(CommandError) as caught:
        run("--network", "x", "--token", "not-a-real-token", "--text", "Hello")

    assert "X no longer accepts the portal's connection" in str(caught.value)
    assert "Reconnect it" in str(caught.value)
    assert x_stub.posts == {}


def test_a_file_that_is_not_an_image_is_refused_with_a_clear_message(x_stub, token, tmp_path):
    notes = tmp_path / "notes.jpg"
    notes.write_text("These are my lesson notes, not a photo.")

    with pytest.raises(CommandError) as caught:
        run("--network", "x", "--token", token, "--text", "Hello", "--image", str(notes), "--alt", "Notes")

    assert str(caught.value).startswith("notes.jpg: ")
    assert x_stub.requests_to("POST /2/media/upload") == []
    assert x_stub.posts == {}


def test_a_photo_needs_a_description(x_stub, token, tmp_path):
    with pytest.raises(CommandError) as caught:
        run("--network", "x", "--token", token, "--text", "Hello", "--image", str(jpeg_file(tmp_path)))

    assert "--alt" in str(caught.value)
    assert x_stub.requests == []


def test_x_needs_a_token():
    with pytest.raises(CommandError) as caught:
        run("--network", "x", "--text", "Hello")

    assert "--token" in str(caught.value)


def test_it_posts_to_an_account_on_the_local_network(accounts):
    lines = run("--network", "local", "--account", "alpha_school", "--text", "Hello from the command line")

    post = LocalNetworkPost.objects.get()
    assert lines[0] == str(post.pk)
    assert (post.account, post.text) == (accounts.whole_school, "Hello from the command line")


def test_an_unknown_local_account_is_refused(db):
    with pytest.raises(CommandError) as caught:
        run("--network", "local", "--account", "nobody", "--text", "Hello")

    assert "@nobody" in str(caught.value)


def test_as_a_command_it_exits_non_zero_with_the_message_or_zero_with_the_id(x_stub, x_user, token):
    """The real command line, in its own process, pointed at the stub through the environment."""
    env = {
        **os.environ,
        **x_stub.env(),
        "DJANGO_SETTINGS_MODULE": "policy_portal.settings_test",
    }
    manage = [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "network_post", "--network", "x"]

    failed = subprocess.run(
        [*manage, "--token", "expired", "--text", "Hello"], env=env, capture_output=True, text=True, timeout=60
    )
    worked = subprocess.run(
        [*manage, "--token", token, "--text", "Hello"], env=env, capture_output=True, text=True, timeout=60
    )

    assert failed.returncode != 0
    assert "Reconnect it from the account's page." in failed.stderr
    assert worked.returncode == 0, worked.stderr
    assert worked.stdout.splitlines()[0] == x_stub.posts_by(x_user)[0]["id"]


def test_it_posts_to_a_connected_bluesky_account_with_a_photo(school, bluesky_stub, tmp_path):
    """The same command checks a Bluesky account the portal holds a session for."""
    from tests.factories import make_account

    user = bluesky_stub.add_user("alpha.bsky.social")
    account = make_account(school, "alpha.bsky.social")
    account.network, account.credentials = "bluesky", bluesky_stub.credentials(user)
    account.save()

    lines = run(
        "--network", "bluesky", "--account", "alpha.bsky.social", "--text", "Checking the portal's connection #test",
        "--image", str(jpeg_file(tmp_path)), "--alt", "A green square",
    )  # fmt: skip

    (post,) = bluesky_stub.posts_by(user)
    assert post["text"] == "Checking the portal's connection #test"
    assert lines[0] == f"{user.did}/{post['uri'].rsplit('/', 1)[1]}" and lines[1].startswith("https://bsky.app/")
    assert post["embed"]["images"][0]["alt"] == "A green square"


def test_a_bluesky_account_the_portal_does_not_hold_is_named(db):
    with pytest.raises(CommandError, match=r"no bluesky account @nobody.bsky.social"):
        run("--network", "bluesky", "--account", "@nobody.bsky.social", "--text", "Hello")
