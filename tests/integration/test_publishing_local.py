"""A real worker publishes to the built-in local network: what a new install does end to end."""

from datetime import timedelta

from django.utils import timezone

from networks.local.models import LocalNetworkPost
from posts import services
from posts.models import Post, PostStatus
from posts.tasks import sweep_publishing

from .conftest import wait_for


def test_approve_now_reaches_the_local_timeline_through_a_real_worker(celery_worker_queue, staff, make_post):
    post = make_post("Our Year 3 gardeners planted sunflowers today!")
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)  # enqueues on commit, to the worker

    wait_for(lambda: Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED)
    post.refresh_from_db()
    assert LocalNetworkPost.objects.get(pk=int(post.external_id)).text == post.text
    assert LocalNetworkPost.objects.count() == 1


def test_the_beat_sweep_sends_scheduled_posts_once_due(celery_worker_queue, staff, make_post):
    posts = [make_post(f"Reminder {n}: school photos on Thursday.") for n in range(3)]
    for post in posts:
        services.post_submit(actor=staff.teacher, post=post)
        services.post_approve(actor=staff.head, post=post, publish_at=timezone.now() + timedelta(minutes=30))
    Post.objects.filter(pk__in=[p.pk for p in posts[:2]]).update(publish_at=timezone.now() - timedelta(seconds=1))

    sweep_publishing.apply_async(queue=celery_worker_queue)
    sweep_publishing.apply_async(queue=celery_worker_queue)  # a second sweep overlapping the first

    wait_for(lambda: Post.objects.filter(status=PostStatus.PUBLISHED).count() == 2)
    assert Post.objects.get(pk=posts[2].pk).status == PostStatus.SCHEDULED
    assert LocalNetworkPost.objects.count() == 2
