"""The README's run command: one process that brings up web, workers and beat on the
embedded defaults, and one Ctrl-C that stops them all."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request

import pytest
from django.conf import settings

from accounts.models import Role
from portal.demo import PEOPLE
from tests.polling import wait_for

SERVICE_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback URL we built
        return response.status


@pytest.fixture
def portal(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(DEBUG="true", PORTAL_VAR_DIR=str(tmp_path), DEMO_PASSWORD="run-command-test")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runportal", "--addr", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    yield process, port, lines
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until(condition, what: str, timeout: float = 90.0):
    wait_for(condition, what=what, timeout=timeout, interval=0.25, ignore=OSError)


def _read(path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def test_one_command_runs_web_workers_and_beat_with_the_demo_school_and_one_signal_stops_them(portal, tmp_path):
    process, port, lines = portal

    _wait_until(lambda: _get(f"http://127.0.0.1:{port}/healthz") == 200, "web answering")
    _wait_until(lambda: any("Press Ctrl-C" in line for line in lines), "the sign-ins printed")
    # The worker's and beat's start-up banners go to their log files, not over the sign-ins.
    worker_log, beat_log = tmp_path / "log" / "worker.log", tmp_path / "log" / "beat.log"
    network_log = tmp_path / "log" / "network-worker.log"
    _wait_until(lambda: re.search(r"default-celery@\S+ ready", _read(worker_log)), "worker ready")
    _wait_until(lambda: re.search(r"network-celery@\S+ ready", _read(network_log)), "network worker ready")
    assert "celery-network" in _read(network_log) and "(thread)" in _read(network_log)
    _wait_until(lambda: "beat: Starting" in _read(beat_log), "beat started")
    output = "".join(lines)
    assert "celery@" not in output and "beat: Starting" not in output
    welcome = output[output.index("Policy Portal is running") :]
    for person in PEOPLE:
        assert person.email in welcome and person.description in welcome
    assert "Password for all of them: run-command-test" in welcome
    assert str(worker_log) in welcome
    pids = [int(pid) for pid in re.findall(r"(?:web|worker|beat) pid (\d+)", output)]
    assert len(pids) == 4

    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)

    _wait_until(lambda: not any(_alive(pid) for pid in pids), "every child stopped", timeout=30)
    assert "Stopped web, workers and beat." in "".join(lines)


def test_the_demo_people_cover_every_role():
    assert {role for person in PEOPLE for role in person.roles} == set(Role.values)
    assert [person.description for person in PEOPLE if person.email == "ta3@demo.school"] == [
        "teaching assistant, Year 3"
    ]
