"""Redis restarted with its queue lost: a Redis without persistence forgets every task it held.
The posts those tasks were for are still approved in the database, and the beat sweep finds
them: each is published exactly once, none is lost.

A private redis-server (private_services.PrivateRedis) stands in for the broker, so killing it
touches nobody else's; the database is the suite's own (SQLite or PostgreSQL)."""

from collections import Counter
from datetime import timedelta

import kombu.pools
import pytest
from django.utils import timezone

from audit.models import AuditEvent
from networks.local.models import LocalNetworkPost
from policy_portal.celery import app as celery_app
from policy_portal.celery import network_queue
from posts import services
from posts.models import Post, PostStatus
from posts.tasks import sweep_publishing

from .conftest import wait_for
from .private_services import PrivateRedis

APPROVED_NOW = 4
SCHEDULED = 2


def _drop_broker_connections() -> None:
    """Forget the test process's pooled broker connections, so the next task goes to the broker
    the configuration names now."""
    # app.pool is kombu's process-wide pool for the broker's address, and kombu keeps a producer
    # pool per address on top of it: reset both registries, or the closed pools of the broker the
    # configuration names again afterwards would be handed back to the next test.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis.log")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def worker_env(private_redis):
    return {"CELERY_BROKER_URL": private_redis.url}


@pytest.fixture
def sending_to_private_redis(private_redis, monkeypatch):
    """The test process (the web server's part: approvals, and beat's part: the sweep) sends its
    tasks to the private Redis too. Celery reads CELERY_BROKER_URL from the environment before its
    configuration (CI sets it to the machine's Redis), so both are pointed there."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    _drop_broker_connections()
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)
    conf.broker_url = private_redis.url
    conf.broker_transport_options = {"visibility_timeout": 3600}
    yield
    _drop_broker_connections()
    conf.broker_url, conf.broker_transport_options = saved


def _approve(staff, make_post, text, *, publish_at=None) -> Post:
    post = make_post(text)
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post, publish_at=publish_at)
    return post


def _all_published(posts) -> bool:
    return Post.objects.filter(pk__in=[p.pk for p in posts], status=PostStatus.PUBLISHED).count() == len(posts)


def _assert_each_published_once(posts) -> None:
    texts = Counter(LocalNetworkPost.objects.values_list("text", flat=True))
    assert texts == {post.text: 1 for post in posts}
    recorded = sorted(int(pk) for pk in Post.objects.values_list("external_id", flat=True))
    assert recorded == sorted(LocalNetworkPost.objects.values_list("pk", flat=True))
    published = Counter(AuditEvent.objects.filter(action="post.published").values_list("target_id", flat=True))
    assert published == {str(post.pk): 1 for post in posts}


def test_posts_whose_tasks_redis_lost_are_each_published_once_by_the_sweep(
    celery_worker_not_started, private_redis, sending_to_private_redis, staff, make_post
):
    worker = celery_worker_not_started
    waiting = [_approve(staff, make_post, f"Sports day, part {n}: a relay for everyone.") for n in range(APPROVED_NOW)]
    later = timezone.now() + timedelta(minutes=30)
    scheduled = [
        _approve(staff, make_post, f"Reminder {n}: the library opens at 8.", publish_at=later) for n in range(SCHEDULED)
    ]
    queue = network_queue(worker.queue)
    assert private_redis.client().llen(queue) == APPROVED_NOW, "each approval should have left a task in Redis"

    private_redis.kill()
    private_redis.start()
    assert private_redis.client().llen(queue) == 0  # the tasks are gone with the old Redis
    # While Redis was down the scheduled posts fell due too.
    Post.objects.filter(pk__in=[p.pk for p in scheduled]).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert set(Post.objects.values_list("status", flat=True)) == {PostStatus.APPROVED, PostStatus.SCHEDULED}

    worker.start()
    sweep_publishing.delay()  # what beat sends each minute, through the restarted Redis
    sweep_publishing.delay()  # and the next minute's, before the first has finished

    posts = waiting + scheduled
    wait_for(lambda: _all_published(posts), what="every post published after the sweep")
    _assert_each_published_once(posts)


def test_running_workers_carry_on_after_redis_restarts(
    celery_worker, private_redis, sending_to_private_redis, staff, make_post
):
    before = _approve(staff, make_post, "Harvest festival: thank you for the donations.")
    wait_for(lambda: _all_published([before]), what="the first post published")

    private_redis.kill()
    private_redis.start()
    after = _approve(staff, make_post, "Parents' evening booking opens on Monday.")

    # The approval's task reaches the restarted Redis and the worker, which reconnected.
    wait_for(lambda: _all_published([after]), what="the post approved after the restart published")
    _assert_each_published_once([before, after])
