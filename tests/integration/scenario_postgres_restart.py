"""PostgreSQL restarted while a post is being published: run by test_faults_postgres.py in a
pytest process of its own, whose database is on a private cluster that this file may restart
(the suite's own database stays where it is). Not collected by the suite itself (the name does
not start with test_)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from audit.models import AuditEvent
from posts import services
from posts.models import Post, PostStatus

from .conftest import wait_for
from .private_services import PrivatePostgres


@pytest.fixture
def cluster():
    return PrivatePostgres.from_environment()


@pytest.fixture
def worker_env(x_stub):
    # The held call outlasts the restart; a post stuck in publishing is one the sweep would look at.
    return {**x_stub.env(), "X_TIMEOUT_SECONDS": "60"}


@pytest.fixture
def on_x(x_stub, accounts):
    user = x_stub.add_user("alpha_year3")
    accounts.year3.network = "x"
    accounts.year3.credentials = x_stub.oauth2_credentials(user)
    accounts.year3.save()
    return user


def _approve(staff, accounts, text) -> Post:
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text=text)
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    return post


def _status(post) -> str:
    return Post.objects.get(pk=post.pk).status


def test_a_publish_in_flight_when_postgresql_restarts_is_recorded_once(
    cluster, celery_worker, x_stub, on_x, staff, accounts
):
    hold = x_stub.hold_next("POST /2/tweets")  # X makes the post, then its answer waits
    post = _approve(staff, accounts, "Year 3 visited the fire station and met the crew.")
    assert hold.reached.wait(60), "the worker never called X"

    cluster.restart()  # every connection to the database is cut, the worker's included
    connection.close()  # this process's own, cut too
    hold.release()  # X answers; the worker must now record it on a new connection

    assert wait_for(lambda: _status(post) == PostStatus.PUBLISHED, what="the post recorded as published")
    [tweet] = x_stub.posts_by(on_x)
    assert Post.objects.get(pk=post.pk).external_id == tweet["id"]
    assert AuditEvent.objects.filter(action="post.published", target_id=str(post.pk)).count() == 1

    after = _approve(staff, accounts, "Our new reading garden opens on Friday.")
    assert wait_for(lambda: _status(after) == PostStatus.PUBLISHED, what="a post approved after the restart")
    assert len(x_stub.requests_to("POST /2/tweets")) == 2
    assert AuditEvent.objects.filter(action="post.published").count() == 2


def test_a_worker_whose_idle_connection_was_cut_runs_its_next_task(cluster, celery_worker_queue):
    """The default worker keeps its connection between tasks (CELERY_DB_REUSE_MAX): one task
    opens it, PostgreSQL restarts while it sits idle, and the next task must still work."""
    first = _expired_session()
    clear_expired_sessions.apply_async(queue=celery_worker_queue)
    wait_for(lambda: not Session.objects.filter(session_key=first).exists(), what="the first task's work")

    cluster.restart()
    connection.close()

    second = _expired_session()
    clear_expired_sessions.apply_async(queue=celery_worker_queue)
    wait_for(lambda: not Session.objects.filter(session_key=second).exists(), what="the task after the restart")


def _expired_session() -> str:
    session = SessionStore()
    session.create()
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() - timedelta(hours=1))
    return session.session_key
