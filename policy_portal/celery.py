"""The Celery app, and the two kinds of worker the portal runs.

Publishing spends nearly all its time waiting for a network to answer, so one worker process
serving it one post at a time made a burst of approvals wait in line behind itself. The work
is therefore split in two queues:

- the **network queue** (`network_queue()`): publishing, the publishing sweep and reading
  mentions and followers. Its worker runs a pool of threads (`--pool threads`), many calls in
  flight at once in one process; Django gives each thread its own database connection, which
  Celery's Django fix-up closes before and after every task, so connections never outlive a
  task nor outnumber the threads.
- the **default queue** (`CELERY_TASK_DEFAULT_QUEUE`): everything else, including the heavy
  work (MIS imports, consent sweeps, digests). Its worker runs processes, so a long import
  never holds the network worker's interpreter.

`worker_command` builds both command lines, so `runportal`, the bench and the integration
tests start the same workers a deployment does.
"""

import os

from celery import Celery, signals
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policy_portal.settings")

app = Celery("policy_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks that mostly wait on a social network (or hand work to tasks that do). The publishing
# sweep is here too, so a due post is never held up behind an import on the default queue.
NETWORK_TASKS = frozenset(
    {
        "posts.tasks.publish_post",
        "posts.tasks.sweep_publishing",
        "community.tasks.fetch_mentions_of_account",
        "community.tasks.sync_followers_of_account",
    }
)


@signals.task_prerun.connect
def check_kept_connections(**kwargs) -> None:
    """Have Django check each kept connection before the task's first query (CONN_HEALTH_CHECKS),
    as it does at the start of a request: one the server dropped while it sat idle (PostgreSQL
    restarted between tasks) is replaced instead of failing the task."""
    for connection in connections.all(initialized_only=True):
        connection.health_check_done = False


@signals.task_postrun.connect
def close_broken_connections(**kwargs) -> None:
    """Workers keep their database connections between tasks (CELERY_DB_REUSE_MAX), so one
    that failed (the server restarted, the network dropped) is closed after its task, as Django
    does after a request, and the next task opens a fresh one."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or not connection.errors_occurred:
            continue
        if connection.is_usable():
            connection.errors_occurred = False  # a refused row, not a lost connection
        else:
            connection.close()


def network_queue(default_queue: str | None = None) -> str:
    """The network queue's name, derived from the default queue's, so a test or bench that
    gives its worker a queue of its own gets a network queue of its own too."""
    return f"{default_queue or app.conf.task_default_queue}-network"


def route_task(name, args, kwargs, options, task=None, **kw):
    """CELERY_TASK_ROUTES router: network tasks to the network queue, the rest to the default.
    Read when each task is sent, so it follows the default queue the process has now."""
    if name in NETWORK_TASKS:
        return {"queue": network_queue()}
    return None


def worker_command(kind: str, *, python: str, default_queue: str | None = None, loglevel: str = "INFO") -> list[str]:
    """The `celery worker` command line for the "network" or the "default" worker."""
    from django.conf import settings

    default_queue = default_queue or app.conf.task_default_queue
    command = [python, "-m", "celery", "-A", "policy_portal", "worker", f"--loglevel={loglevel}"]
    if kind == "network":
        threads = settings.NETWORK_WORKER_THREADS
        return (
            command
            + ["--pool=threads", f"--concurrency={threads}", "-Q", network_queue(default_queue)]
            + [
                "-n",
                f"network-{default_queue}@%h",
            ]
        )
    if kind == "default":
        processes = settings.DEFAULT_WORKER_PROCESSES
        pool = ["--pool=solo"] if processes == 1 else ["--pool=prefork", f"--concurrency={processes}"]
        return command + pool + ["-Q", default_queue, "-n", f"default-{default_queue}@%h"]
    raise ValueError(f"Unknown worker kind: {kind}")
