"""Publishing figures for `manage.py bench`: posts published per second through a real Celery
worker, and the time from approval to published (median and 95th percentile).

A worker is a separate process, so it cannot see rows the bench rolls back. The figures are
therefore measured in a child process (`manage.py bench_publishing_run`) on a scratch SQLite
database in a temporary folder, with a worker of its own on its own queue of the configured
broker: nothing is left in the portal's database, and a running portal's worker is not
disturbed. For X, the child serves the stub X server from tests/xstub.py (the one the
integration tests use, checking each request against X's API description); where the test
files or ../shared are not installed, that figure says why it is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from accounts.models import ClassGroup, Membership, Role, RoleAssignment, School, SocialAccount, User
from posts import services
from posts.models import Post, PostStatus

from .timing import summary


def bench_publishing(*, quick: bool) -> dict:
    posts = 20 if quick else 100
    figures = {}
    for network in ("local", "x"):
        figures[network] = _run_child(network=network, posts=posts)
    return figures


def _run_child(*, network: str, posts: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "policy_portal.settings",
            "DEBUG": "true",
            "SECRET_KEY": "bench-only-" + uuid.uuid4().hex,
            "FIELD_ENCRYPTION_KEY": os.environ.get("FIELD_ENCRYPTION_KEY") or _fernet_key(),
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "CELERY_TASK_DEFAULT_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": "dummymail://",
            # Pacing would queue a burst on purpose; the figure is the pipeline's own speed.
            "PUBLISH_MAX_PER_WINDOW": "100000",
            "MEDIA_ROOT": str(Path(folder) / "media"),
        }
        completed = subprocess.run(
            [sys.executable, "manage.py", "bench_publishing_run", "--network", network, "--posts", str(posts)],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    if completed.returncode != 0:
        return {"error": (completed.stderr or completed.stdout).strip().splitlines()[-1:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _fernet_key() -> str:
    return Fernet.generate_key().decode()


def run_in_scratch_database(*, network: str, posts: int) -> dict:
    """The child's work: migrate the scratch database, start a worker (and the stub X server),
    approve `posts` posts across 10 accounts at once, wait until every one is published."""
    if connection.vendor != "sqlite" or "portal-bench-" not in str(connection.settings_dict["NAME"]):
        raise RuntimeError("bench_publishing_run only runs on the scratch database `manage.py bench` gives it.")
    call_command("migrate", verbosity=0)

    stub = None
    worker_env = dict(os.environ)
    log_path = Path(connection.settings_dict["NAME"]).with_name("worker.log")
    if network == "x":
        try:
            # tests/ is there only in a source checkout: without it this figure is skipped.
            from tests.xstub import XStub, description_path, load_description

            stub = XStub(load_description(description_path()))
        except (ImportError, FileNotFoundError, OSError) as exc:
            return {"skipped": f"the stub X server needs tests/ and ../shared/x-api/openapi.json: {exc}"}
        stub.start()
        worker_env.update(stub.env())
        for name, value in stub.env().items():
            setattr(settings, name, value)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "policy_portal",
            "worker",
            "--pool=solo",
            "-Q",
            os.environ["CELERY_TASK_DEFAULT_QUEUE"],
            "--loglevel=INFO",
        ],
        cwd=settings.BASE_DIR,
        env=worker_env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        # Time from approval, not from the worker's start-up.
        _poll(log_path.read_text, lambda log: "ready." in log, timeout=120, interval=0.1)
        people, accounts = _bench_school(network=network, stub=stub)
        post_ids = _approve_burst(people, accounts, posts=posts)
        figures = _wait_and_measure(post_ids, network=network)
        figures["one_at_a_time"] = _one_at_a_time(people, accounts, repeats=10)
        return figures
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        if stub is not None:
            stub.stop()


def _bench_school(*, network: str, stub) -> tuple[dict, list]:
    """A headteacher, a class teacher and 10 class accounts on the network."""
    school = School.objects.create(name="Bench Primary", slug="bench-primary")
    people = {}
    for email, role in (("head@bench.test", Role.HEADTEACHER), ("teacher@bench.test", Role.CLASS_TEACHER)):
        user = User.objects.create_user(email=email, password=None)
        membership = Membership.objects.create(user=user, school=school)
        RoleAssignment.objects.create(membership=membership, role=role)
        people[role] = membership
    accounts = []
    for n in range(10):
        group = ClassGroup.objects.create(school=school, name=f"Class {n}")
        people[Role.CLASS_TEACHER].class_groups.add(group)
        credentials = {}
        handle = f"bench_class_{n}"
        if stub is not None:
            credentials = stub.oauth2_credentials(stub.add_user(handle))
        accounts.append(
            SocialAccount.objects.create(
                school=school,
                kind=SocialAccount.Kind.CLASS,
                class_group=group,
                network=network,
                handle=handle,
                display_name=f"Class {n}",
                credentials=credentials,
            )
        )
    return people, accounts


def _approve_burst(people: dict, accounts: list, *, posts: int) -> list[int]:
    drafts = [
        Post.objects.create(
            account=accounts[n % len(accounts)],
            author=people[Role.CLASS_TEACHER].user,
            text=f"Bench post {n}: well done to everyone in class {n % len(accounts)} this week!",
            status="submitted",
        )
        for n in range(posts)
    ]
    for post in drafts:  # each approval commits and enqueues at once, as in the browser
        services.post_approve(actor=people[Role.HEADTEACHER], post=post)
    return [post.pk for post in drafts]


def _wait_and_measure(post_ids: list[int], *, network: str) -> dict:
    rows = _poll(
        lambda: list(Post.objects.filter(pk__in=post_ids).values("status", "decided_at", "published_at")),
        lambda rows: all(_settled(row) for row in rows),
        timeout=600,
        interval=0.2,
    )
    published = [row for row in rows if row["status"] == PostStatus.PUBLISHED]
    if not published:
        return {"error": "no post was published", "statuses": sorted({row["status"] for row in rows})}
    latencies = [(row["published_at"] - row["decided_at"]).total_seconds() * 1000 for row in published]
    first_approval = min(row["decided_at"] for row in rows)
    last_published = max(row["published_at"] for row in published)
    span = (last_published - first_approval).total_seconds()
    return {
        "posts": len(post_ids),
        "published": len(published),
        "failed": len(rows) - len(published),
        "worker": "1 Celery worker process (solo pool)",
        "network": "stub X server over HTTP (real tweepy)" if network == "x" else "local network",
        "published_per_second": round(len(published) / span, 2) if span > 0 else None,
        "approve_to_published": summary(latencies),
    }


def _one_at_a_time(people: dict, accounts: list, *, repeats: int) -> dict:
    """Approval to published for a post approved while the worker is idle (no queue ahead)."""
    latencies = []
    for n in range(repeats):
        post = Post.objects.create(
            account=accounts[n % len(accounts)],
            author=people[Role.CLASS_TEACHER].user,
            text=f"Single post {n}: our reading challenge starts on Monday.",
            status="submitted",
        )
        services.post_approve(actor=people[Role.HEADTEACHER], post=post)
        row = _poll(
            lambda pk=post.pk: Post.objects.filter(pk=pk).values("status", "decided_at", "published_at").get(),
            _settled,
            timeout=60,
            interval=0.02,
        )
        if row["published_at"]:
            latencies.append((row["published_at"] - row["decided_at"]).total_seconds() * 1000)
    if not latencies:
        return {"error": "none published"}
    return summary(latencies)


def _settled(row: dict) -> bool:
    return row["status"] in ("published", "failed")


def _poll(fetch, done, *, timeout: float, interval: float):
    """fetch() until done(value) or the time is up; the last value either way."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = fetch()
    return value
