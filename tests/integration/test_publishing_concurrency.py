"""Many posts approved at once, published by the network worker's threads at the same time:
each goes out exactly once, and no account publishes more than its share of a window."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from networks.local.models import LocalNetworkPost
from posts import services
from posts.models import Post, PostStatus
from posts.services.publishing import due_posts
from posts.tasks import publish_post, sweep_publishing
from tests.factories import make_account, make_class, make_member

from .conftest import wait_for

ACCOUNTS = 3
POSTS_PER_ACCOUNT = 7
SHARE = 3  # posts an account may publish per window: 7 go out as 3, 3 and 1


@pytest.fixture
def worker_env():
    # A window far longer than the test, so the limit holds however slow the machine is.
    return {"PUBLISH_MAX_PER_WINDOW": str(SHARE), "PUBLISH_WINDOW_SECONDS": "3600"}


@pytest.fixture
def burst(school, staff):
    """Three class accounts, each with seven posts waiting for approval, one account's after
    another's, so the threads take several posts of one account at the same moment."""
    classes = [make_class(school, f"Class {n}", n) for n in range(ACCOUNTS)]
    teacher = make_member(school, "burst@alpha.test", [Role.CLASS_TEACHER], classes)
    accounts = [make_account(school, f"alpha_class_{n}", class_group=klass) for n, klass in enumerate(classes)]
    posts = []
    for n in range(POSTS_PER_ACCOUNT * ACCOUNTS):
        post = services.post_create(
            actor=teacher, account=accounts[n // POSTS_PER_ACCOUNT], text=f"Burst {n}: a lovely week in class."
        )
        services.post_submit(actor=teacher, post=post)
        posts.append(post)
    return accounts, posts


def _approve_all(staff, posts) -> None:
    """Approve every post; their tasks reach the broker together, when the transaction commits,
    so the worker's threads take them at the same moment rather than as each approval lands.
    Every task is sent twice, as a broker may deliver it after a lost acknowledgement."""
    with transaction.atomic():
        for post in posts:
            services.post_approve(actor=staff.head, post=post)
            transaction.on_commit(lambda pk=post.pk: publish_post.delay(pk))


def _round_settled() -> bool:
    """True once no post is mid-publish or due: each is published or waits for a later window."""
    return (
        Post.objects.filter(status=PostStatus.PUBLISHED).exists()
        and not Post.objects.filter(status=PostStatus.PUBLISHING).exists()
        and not due_posts().exists()
    )


def _network_posts_per_account() -> dict[int, int]:
    return dict(Counter(LocalNetworkPost.objects.values_list("account_id", flat=True)))


def _start_a_new_window() -> None:
    """As if the window had passed: what was published is now older than the window, and the
    waiting posts are due."""
    long_ago = timezone.now() - timedelta(hours=2)
    Post.objects.filter(status=PostStatus.PUBLISHED).update(published_at=long_ago)
    Post.objects.filter(retry_at__isnull=False).update(retry_at=timezone.now() - timedelta(seconds=1))


def test_a_burst_is_published_once_each_and_paced_per_account(celery_worker, staff, burst):
    accounts, posts = burst
    _approve_all(staff, posts)

    wait_for(_round_settled, what="each account's first share published")
    assert _network_posts_per_account() == {account.pk: SHARE for account in accounts}
    waiting = Post.objects.exclude(status=PostStatus.PUBLISHED)
    assert all(post.last_publish_error.startswith("Waiting its turn") for post in waiting)

    _start_a_new_window()
    sweep_publishing.delay()
    sweep_publishing.delay()  # two sweeps overlapping, each enqueueing every due post
    wait_for(_round_settled, what="each account's second share published")
    assert _network_posts_per_account() == {account.pk: 2 * SHARE for account in accounts}

    _start_a_new_window()
    sweep_publishing.delay()
    wait_for(_round_settled, what="the last post of each account published")
    assert _network_posts_per_account() == {account.pk: POSTS_PER_ACCOUNT for account in accounts}
    assert set(Post.objects.values_list("status", flat=True)) == {PostStatus.PUBLISHED}
    # One network post per post, and it is the one the post records.
    recorded = sorted(int(external_id) for external_id in Post.objects.values_list("external_id", flat=True))
    assert recorded == sorted(LocalNetworkPost.objects.values_list("pk", flat=True))
    assert Counter(LocalNetworkPost.objects.values_list("text", flat=True)).most_common(1)[0][1] == 1
    # Each post claimed and recorded once, though every task was delivered twice.
    published_events = Counter(AuditEvent.objects.filter(action="post.published").values_list("target_id", flat=True))
    assert published_events == {str(post.pk): 1 for post in posts}


class TestASlowNetwork:
    """One post whose network call hangs does not hold up the posts approved after it."""

    @pytest.fixture
    def worker_env(self, x_stub):
        # Longer than the test waits, so the held call is still in flight when it checks.
        return {**x_stub.env(), "X_TIMEOUT_SECONDS": "60"}

    @pytest.fixture
    def two_classes_on_x(self, school, x_stub):
        """Two class accounts connected to X, each with its own teacher."""
        teachers, accounts = [], []
        for year in (4, 5):
            klass = make_class(school, f"Year {year}", year)
            teachers.append(make_member(school, f"year{year}@alpha.test", [Role.CLASS_TEACHER], [klass]))
            account = make_account(school, f"alpha_year{year}", class_group=klass)
            account.network = "x"
            account.credentials = x_stub.oauth2_credentials(x_stub.add_user(f"alpha_year{year}"))
            account.save()
            accounts.append(account)
        return teachers, accounts

    def _approve(self, staff, teacher, account, text) -> Post:
        post = services.post_create(actor=teacher, account=account, text=text)
        services.post_submit(actor=teacher, post=post)
        services.post_approve(actor=staff.head, post=post)
        return post

    def test_other_posts_go_out_while_one_waits_for_x(self, celery_worker, x_stub, staff, two_classes_on_x):
        (slow_teacher, teacher), (slow_account, account) = two_classes_on_x
        hold = x_stub.hold_next("POST /2/tweets")
        slow = self._approve(staff, slow_teacher, slow_account, "Year 4 sang beautifully at the concert.")
        assert hold.reached.wait(60), "the worker never called X"

        others = [self._approve(staff, teacher, account, f"Year 5 news, part {n}.") for n in range(3)]

        wait_for(
            lambda: Post.objects.filter(pk__in=[p.pk for p in others], status=PostStatus.PUBLISHED).count() == 3,
            what="the later posts published while the first is held",
        )
        assert Post.objects.get(pk=slow.pk).status == PostStatus.PUBLISHING
        hold.release()
        wait_for(lambda: Post.objects.get(pk=slow.pk).status == PostStatus.PUBLISHED, what="the held post recorded")
        assert len(x_stub.requests_to("POST /2/tweets")) == 4
