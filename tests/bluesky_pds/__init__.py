"""A real Bluesky Personal Data Server for the integration tests: @atproto/pds from npm (a
devDependency in package.json, installed by `make install`), with a PLC directory
(@did-plc/server on its in-memory store), both on 127.0.0.1 with their data in a temporary folder.

    def test_something(bluesky_pds, bluesky_school):
        client = bluesky_pds.client(bluesky_school)          # signed in with the app password
        fan = bluesky_pds.create_account("a-parent.test")    # anyone else, on the same server

What a bare PDS serves: com.atproto.* (sessions, app passwords, blobs, records of any
collection, with the lexicons' limits checked). What it does not: the app.bsky.* reads and
private state an AppView keeps (author feed, followers, notifications, mutes); it answers those
with 400 "No service configured". So `Client.login` needs `fetch_bsky_profile=False` here, and
`send_post` needs `profile_identify=<did>` (the SDK takes the repo from the profile otherwise).

Without the npm package (a machine where `npm ci` has not run) the fixture skips, saying so;
in CI (CI=true) it fails instead, because .ci/run installs the package.
"""

import json
import os
import secrets
import selectors
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from atproto import Client, models

REPO_ROOT = Path(__file__).resolve().parents[2]
START_SCRIPT = Path(__file__).with_name("start.mjs")
PDS_PACKAGE = REPO_ROOT / "node_modules" / "@atproto" / "pds" / "package.json"
START_TIMEOUT = 90  # seconds; it starts in a few on an idle machine, CI's may be busy


@dataclass(frozen=True)
class PdsAccount:
    handle: str
    did: str
    password: str  # the account's own password: only the fixture uses it, to make app passwords
    app_password: str  # what the portal would be given


class BlueskyPds:
    def __init__(self, url: str, plc_url: str, admin_password: str):
        self.url = url
        self.plc_url = plc_url
        self.admin_password = admin_password

    def create_account(self, handle: str) -> PdsAccount:
        """A new account (handles end in .test; the PDS refuses reserved words such as
        "school") and an app password for it, as a school would make one in Bluesky's settings."""
        password = secrets.token_urlsafe(16)
        created = Client(base_url=self.url).com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(handle=handle, password=password, email=f"office@{handle}")
        )
        owner = Client(base_url=self.url)
        owner.login(handle, password, fetch_bsky_profile=False)
        app_password = owner.com.atproto.server.create_app_password(
            models.ComAtprotoServerCreateAppPassword.Data(name="Policy Portal")
        )
        return PdsAccount(handle=created.handle, did=created.did, password=password, app_password=app_password.password)

    def client(self, account: PdsAccount) -> Client:
        """The SDK's client signed in with the account's app password."""
        client = Client(base_url=self.url)
        client.login(account.handle, account.app_password, fetch_bsky_profile=False)
        return client


def _missing_package(reason: str):
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} CI installs it (.ci/run runs make install), so this is a broken install.")
    pytest.skip(reason)


def _read_ready_line(process: subprocess.Popen, log_path: Path) -> dict:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if selector.select(timeout=START_TIMEOUT):
            line = process.stdout.readline()
            if line:
                return json.loads(line)
    process.kill()
    process.wait()
    pytest.fail(
        f"The Bluesky PDS did not start within {START_TIMEOUT}s (exit code {process.returncode}); "
        f"its output:\n{log_path.read_text()[-4000:]}"
    )


@pytest.fixture(scope="session")
def bluesky_pds(tmp_path_factory):
    """One PDS (and PLC directory) for the whole test run; each test makes the accounts it needs."""
    node = shutil.which("node")
    if node is None:
        _missing_package("Node.js is not installed, so the Bluesky PDS cannot run: apt-get install nodejs npm.")
    if not PDS_PACKAGE.exists():
        _missing_package("The Bluesky PDS (npm package @atproto/pds) is not installed: run make install (npm ci).")
    folder = tmp_path_factory.mktemp("bluesky_pds")
    data = folder / "data"
    data.mkdir()
    log_path = folder / "pds.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [node, str(START_SCRIPT), str(data)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,  # closing it stops the servers, even if this process dies
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            # Its request log would go to standard output, where the ready line is read.
            env={**os.environ, "LOG_ENABLED": "false"},
        )
    try:
        ready = _read_ready_line(process, log_path)
        yield BlueskyPds(url=ready["pds"], plc_url=ready["plc"], admin_password=ready["admin_password"])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture(scope="session")
def bluesky_school(bluesky_pds) -> PdsAccount:
    """The school's Bluesky account on the PDS, with an app password for the portal."""
    return bluesky_pds.create_account("oakfield-primary.test")
