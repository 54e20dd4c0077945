"""One command for a laptop: web server, the two Celery workers and Celery beat together.

Written here rather than with a Procfile runner because it also prepares the database and
the demo school first, and prints how to sign in. Ctrl-C stops them all.

The two workers are the ones a deployment runs (policy_portal/celery.py): the network worker,
with threads, publishes and reads the networks; the default worker does everything else.

The workers' and beat's start-up banners are long: they go to `var/log/worker.log`,
`var/log/network-worker.log` and `var/log/beat.log` (`--logs terminal` shows them here
instead), so that the sign-ins, printed once the web server answers, stay on the screen.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.models import School
from policy_portal.celery import worker_command
from portal.demo import PEOPLE, demo_password_works, demo_school, seed_demo

# How long to wait for the web server before printing the sign-ins anyway.
WEB_START_WAIT = 30.0


class Command(BaseCommand):
    help = "Run the portal on this machine: web server, Celery workers and beat, with the demo school on first run."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("PORTAL_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--demo-password", default=os.environ.get("DEMO_PASSWORD", "policy-portal-demo"))
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not create the demo school on an empty database."
        )
        parser.add_argument(
            "--logs",
            choices=["files", "terminal"],
            default=os.environ.get("PORTAL_LOGS", "files"),
            help="Where the workers and beat write their logs: var/log/ (the default) or this terminal.",
        )

    def handle(self, *args, addr: str, demo_password: str, no_demo: bool, logs: str, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo and not School.objects.exists():
            result = seed_demo(password=demo_password)
            self.stdout.write(self.style.SUCCESS(f"Created the demo school: {result.school.name}"))

        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": worker_command("default", python=python),
            "network-worker": worker_command("network", python=python),
            "beat": [python, "-m", "celery", "-A", "policy_portal", "beat", "--loglevel=INFO"],
        }
        self.stdout.write(
            f"Starting web (http://{addr}/), workers and beat. Broker: {settings.CELERY_BROKER_URL}; "
            f"the network worker runs {settings.NETWORK_WORKER_THREADS} threads."
        )
        self.stdout.flush()
        processes = {}
        for name, command in commands.items():
            output = None
            if name != "web" and logs == "files":
                output = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it open
            processes[name] = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                start_new_session=True,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
            )
            if output:
                output.close()  # the child has its own copy
        self.stdout.write(", ".join(f"{name} pid {process.pid}" for name, process in processes.items()))
        self.stdout.flush()
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self._wait_for_web(addr, processes["web"], until=lambda: stopping)
        if not stopping:
            self._print_welcome(addr=addr, demo_password=demo_password, log_dir=log_dir if logs == "files" else None)
        exit_code = 0
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"{name} stopped with exit code {process.returncode}; stopping the others.")
                    if logs == "files" and name != "web":
                        self.stderr.write(f"Its log: {log_dir / f'{name}.log'}")
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.5)
        self._stop_all(processes)
        if exit_code:
            sys.exit(exit_code)

    def _wait_for_web(self, addr: str, web: subprocess.Popen, until) -> None:
        """Until the web server answers, so that the sign-ins come after its start-up lines."""
        host, _, port = addr.rpartition(":")
        if host in ("0.0.0.0", "", "::", "[::]"):  # noqa: S104 - only to pick a loopback to ask
            host = "127.0.0.1"
        url = f"http://{host}:{port}/healthz"
        deadline = time.monotonic() + WEB_START_WAIT
        while time.monotonic() < deadline and web.poll() is None and not until():
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback address
                    return
            except OSError:
                time.sleep(0.25)

    def _print_welcome(self, *, addr: str, demo_password: str, log_dir: Path | None) -> None:
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS(f"Policy Portal is running: http://{addr}/"))
        school = demo_school()
        if school is not None:
            write(f"Sign in to {school.name} as any of these:")
            width = max(len(person.email) for person in PEOPLE)
            for person in PEOPLE:
                write(f"  {person.email.ljust(width)}  {person.description}")
            if demo_password_works(demo_password):
                write("Password for all of them: " + self.style.WARNING(demo_password))
            else:
                write("Password: the one given (DEMO_PASSWORD) when the demo school was created.")
            write("The headteacher, senior leader and office admin set up an authenticator app at first sign-in.")
        if log_dir is not None:
            logs = ", ".join(str(log_dir / f"{name}.log") for name in ("worker", "network-worker", "beat"))
            write(f"Worker and beat logs: {logs}")
        write("Press Ctrl-C to stop web, workers and beat.")
        write("")
        self.stdout.flush()

    def _stop_all(self, processes: dict) -> None:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.stdout.write("Stopped web, workers and beat.")
