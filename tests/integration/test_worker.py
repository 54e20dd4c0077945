from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import clear_expired_sessions

from .conftest import wait_for


def test_a_real_worker_runs_a_task_from_the_broker(celery_worker_queue):
    expired = SessionStore()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(hours=1))
    alive = SessionStore()
    alive.create()

    clear_expired_sessions.apply_async(queue=celery_worker_queue)

    wait_for(lambda: not Session.objects.filter(session_key=expired.session_key).exists())
    assert Session.objects.filter(session_key=alive.session_key).exists()
