"""Real Celery worker processes, on the broker the settings name (filesystem by default,
Redis in CI), reading the test database: the two a deployment runs (policy_portal/celery.py),
the network worker on its pool of threads and the default worker."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from policy_portal.celery import app as celery_app
from policy_portal.celery import worker_command
from tests.bluesky_pds import bluesky_pds, bluesky_school  # noqa: F401 (a real Bluesky PDS, from npm)
from tests.polling import wait_for  # noqa: F401 (the integration tests import it from here)
from tests.posts.conftest import make_post, pupils  # noqa: F401 (fixtures shared with the post tests)


def _test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = db["USER"] or ""
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        return f"postgres://{user}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    raise NotImplementedError(db["ENGINE"])


@pytest.fixture
def worker_env():
    """Extra environment for the worker process (a test adds e.g. the stub X server's address)."""
    return {}


class Worker:
    """The default and network `celery worker` processes, on queues of their own, reading the
    test database. A test can kill them mid-task (`kill`) and start them again (`start`), as an
    operator's restart would."""

    KINDS = ("default", "network")

    def __init__(self, env: dict[str, str], log_path):
        self.queue = env["CELERY_TASK_DEFAULT_QUEUE"]
        self.env = env
        self.log_path = log_path
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        self.processes = [
            subprocess.Popen(
                worker_command(kind, python=sys.executable, default_queue=self.queue),
                cwd=settings.BASE_DIR,
                env=self.env,
                # A file, not a pipe nobody reads (a full pipe would block the worker); printed
                # at teardown, so a failing test shows what the workers did.
                stdout=self.log_path.open("a"),
                stderr=subprocess.STDOUT,
            )
            for kind in self.KINDS
        ]

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no acknowledgement, whatever they were doing is cut off."""
        for process in self.processes:
            process.kill()
            process.wait(timeout=20)

    def stop(self) -> None:
        running = [process for process in self.processes if process.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def celery_worker_not_started(transactional_db, worker_env, tmp_path):
    """The workers of `celery_worker`, set up but not yet running: a test that must fill the
    broker first (and then, say, restart it) calls `start()` itself."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "policy_portal.settings_test",
        "DATABASE_URL": _test_database_url(),
        "TEST_CELERY_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **worker_env,
    }
    worker = Worker(env, tmp_path / "worker.log")
    was_eager, was_queue = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager = was_eager
        celery_app.conf.task_default_queue = was_queue
        worker.stop()
        if worker.log_path.exists():  # a worker the test never started wrote nothing
            print(worker.log_path.read_text()[-8000:])


@pytest.fixture
def celery_worker(celery_worker_not_started):
    """A running worker (see Worker). Tasks go to it with apply_async(queue=worker.queue), and
    plain .delay() from the code under test goes there too while eager mode is off."""
    celery_worker_not_started.start()
    return celery_worker_not_started


@pytest.fixture
def celery_worker_queue(celery_worker):
    """The running worker's queue name, for tests that only send it tasks."""
    return celery_worker.queue
