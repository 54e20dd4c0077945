"""One command for a laptop: web server, Celery worker and Celery beat together.

Written here rather than with a Procfile runner because it also prepares the database and
the demo school first, and prints how to sign in. Ctrl-C stops all three.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.models import School
from portal.demo import seed_demo


class Command(BaseCommand):
    help = "Run the portal on this machine: web server, Celery worker and beat, with the demo school on first run."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("PORTAL_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--demo-password", default=os.environ.get("DEMO_PASSWORD", "policy-portal-demo"))
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not create the demo school on an empty database."
        )

    def handle(self, *args, addr: str, demo_password: str, no_demo: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo and not School.objects.exists():
            result = seed_demo(password=demo_password)
            self.stdout.write(self.style.SUCCESS(f"Created the demo school: {result.school.name}"))
            self.stdout.write("Sign in as any of these, password " + self.style.WARNING(demo_password) + ":")
            for email in result.emails:
                self.stdout.write(f"  {email}")
            self.stdout.write(
                "The headteacher, senior leader and office admin set up an authenticator app at first sign-in."
            )

        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [python, "-m", "celery", "-A", "policy_portal", "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [python, "-m", "celery", "-A", "policy_portal", "beat", "--loglevel=INFO"],
        }
        self.stdout.write(f"Starting web (http://{addr}/), worker and beat. Broker: {settings.CELERY_BROKER_URL}")
        self.stdout.write("Press Ctrl-C to stop them all.")
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)
            for name, command in commands.items()
        }
        self.stdout.write(", ".join(f"{name} pid {process.pid}" for name, process in processes.items()))
        self.stdout.flush()
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"{name} stopped with exit code {process.returncode}; stopping the others.")
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.5)
        self._stop_all(processes)
        if exit_code:
            sys.exit(exit_code)

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
        self.stdout.write("Stopped web, worker and beat.")
