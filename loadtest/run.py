"""`make load`: the portal under a school trust's staff, on this machine, and a table of how fast
each page answered.

In order: a scratch PostgreSQL database (created, and dropped at the end), migrate, static
files, `seed_load` (the bench's trust data: schools of twelve staff, all with a password, the
approvers and the office with an authenticator app too), gunicorn with two workers on a free
port of 127.0.0.1, then Locust, headless and bounded in time, with one simulated person per
member of staff and a load balancer asking /healthz every five seconds. Every request goes to
127.0.0.1 only.

The figures are those of the steady part of the run, after everyone has arrived: the ramp,
when people are still signing in, is reported on its own rows (sign-in). Redis at
LOAD_REDIS_URL, when it answers, serves as the cache and the broker, as in a deployment.

    python loadtest/run.py --users 100 --time 3m         # what `make load` runs
    python loadtest/run.py --users 5 --time 20s          # the smoke CI runs
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "var" / "load"
GOAL_P95_MS = 250
SIGN_IN_ROWS = ("sign-in page", "sign-in: password", "sign-in: code page", "sign-in: code")


def main() -> int:
    options = _options()
    OUT.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="policy-portal-load-"))
    port = _free_port()
    env = _portal_env(options, scratch=scratch, port=port)
    database = _ScratchDatabase(options.database_url)
    gunicorn = None
    try:
        database.create()
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "collectstatic", "--noinput", "-v", "0")
        staff_file = scratch / "staff.json"
        _manage(
            env,
            "seed_load",
            f"--staff={options.users}",
            f"--posts-per-school={options.posts_per_school}",
            f"--pupils-per-school={options.pupils_per_school}",
            f"--password={secrets.token_urlsafe(16)}",
            f"--out={staff_file}",
        )
        gunicorn = _start_gunicorn(env, port=port, workers=options.workers, threads=options.threads)
        cpu = _CpuSampler(gunicorn.pid, database.name if database.is_postgres() else "")
        cpu.start()
        results_file = OUT / "requests.json"
        _run_locust(options, port=port, staff_file=staff_file, results_file=results_file)
        cpu.stop()
        summary = _summarise(json.loads(results_file.read_text()), options, cpu=cpu)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
        if not options.keep_database:
            database.drop()
            shutil.rmtree(scratch, ignore_errors=True)  # the sign-ins, uploads and static files
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1) if options.json else _table(summary))
    return 0 if summary["total"]["requests"] and not summary["total"]["failures"] else 1


def _options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=int(env("LOAD_USERS", "100")), help="staff signed in at once")
    parser.add_argument("--time", default=env("LOAD_TIME", "3m"), help="the whole run, ramp included (Locust's -t)")
    parser.add_argument(
        "--spawn-rate", type=float, default=float(env("LOAD_SPAWN_RATE", "2")), help="arrivals a second"
    )
    parser.add_argument(
        "--database-url",
        default=env("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/policy_portal_load"),
        help="a scratch database, dropped and created again: its name must contain 'load'",
    )
    parser.add_argument("--redis-url", default=env("LOAD_REDIS_URL", "redis://127.0.0.1:6379/2"))
    parser.add_argument("--posts-per-school", type=int, default=int(env("LOAD_POSTS_PER_SCHOOL", "2000")))
    parser.add_argument("--pupils-per-school", type=int, default=int(env("LOAD_PUPILS_PER_SCHOOL", "500")))
    parser.add_argument("--workers", type=int, default=int(env("LOAD_WORKERS", "2")), help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=int(env("LOAD_THREADS", "4")), help="threads per process")
    parser.add_argument("--keep-database", action="store_true", help="leave the scratch database for a look")
    parser.add_argument("--json", action="store_true", default=bool(env("LOAD_JSON")), help="print JSON, not a table")
    return parser.parse_args()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _portal_env(options, *, scratch: Path, port: int) -> dict:
    """Production settings (DEBUG off, a real secret, whitenoise's static files), except that the
    portal speaks plain HTTP on loopback and lets a hundred sign-ins come from one address."""
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="policy_portal.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{port}",
        PORTAL_VAR_DIR=str(scratch),
        MEDIA_ROOT=str(scratch / "media"),
        DATABASE_URL=options.database_url,
        CONN_MAX_AGE="60",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOGIN_RATE_LIMIT="10000/m/ip",
        LOG_LEVEL="WARNING",
    )
    if _redis_answers(options.redis_url):
        env.update(CACHE_URL=options.redis_url, CELERY_BROKER_URL=options.redis_url)
    else:
        print(f"Redis does not answer at {options.redis_url}: the portal's own cache and broker instead.")
        env.pop("CACHE_URL", None)
        env.pop("CELERY_BROKER_URL", None)
    return env


class _ScratchDatabase:
    """The database named in the URL, made empty for the run. PostgreSQL or an SQLite file."""

    def __init__(self, url: str):
        self.url = urlsplit(url)
        self.name = self.url.path.lstrip("/")
        if "load" not in Path(self.name).name:
            sys.exit(f"Refusing to drop {self.name!r}: the load test's database must have 'load' in its name.")

    def create(self) -> None:
        self.drop()
        if self.is_postgres():
            self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.is_postgres():
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            Path(self.name).unlink(missing_ok=True)

    def is_postgres(self) -> bool:
        return self.url.scheme.startswith("postgres")

    def _execute(self, sql: str) -> None:
        import psycopg

        server = self.url._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(sql)


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, check=True)


def _start_gunicorn(env: dict, *, port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn with threads, so one request's database waits do not hold the others up. Its
    errors go to var/load/gunicorn.log."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "policy_portal.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        # Longer than anyone's pause between pages: with gunicorn's 2 s, a browser's next
        # request could meet the connection as the server closed it (a reset, not an answer).
        "--keep-alive=20",
        f"--error-logfile={OUT / 'gunicorn.log'}",
    ]
    process = subprocess.Popen(command, cwd=REPO, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz within a minute: see var/load/gunicorn.log")


class _CpuSampler(threading.Thread):
    """The CPU time gunicorn's workers and the scratch database's PostgreSQL backends have used,
    read once a second, so the table can say how many cores the run kept busy and how much CPU
    a request cost: figures that other work on a shared machine disturbs far less than it
    disturbs the response times."""

    def __init__(self, pid: int, database_name: str = ""):
        super().__init__(daemon=True)
        self.pid, self.database_name = pid, database_name
        self.samples: list[tuple[float, float, float]] = []
        self._stopped = threading.Event()

    def run(self) -> None:
        import psutil

        master = psutil.Process(self.pid)
        # Each process's latest reading, kept after it exits: a database connection closed and
        # opened again (CONN_MAX_AGE) is a new backend whose count starts at zero.
        portal: dict[int, float] = {}
        database: dict[int, float] = {}
        while not self._stopped.wait(1):
            for worker in master.children():
                portal[worker.pid] = _cpu_seconds(worker, portal.get(worker.pid, 0.0))
            for backend in psutil.process_iter(["cmdline"]):
                # PostgreSQL names the database in each backend's process title.
                if self.database_name and f" {self.database_name} " in " ".join(backend.info["cmdline"] or ()):
                    database[backend.pid] = _cpu_seconds(backend, database.get(backend.pid, 0.0))
            self.samples.append((time.time(), sum(portal.values()), sum(database.values())))

    def stop(self) -> None:
        self._stopped.set()
        self.join()

    def between(self, start: float, end: float) -> tuple[float, float, float]:
        """(wall seconds, gunicorn's CPU seconds, the database's) over [start, end]."""
        inside = [sample for sample in self.samples if start <= sample[0] <= end]
        if len(inside) < 2:
            return 0.0, 0.0, 0.0
        first, last = inside[0], inside[-1]
        return last[0] - first[0], last[1] - first[1], last[2] - first[2]


def _cpu_seconds(process, last_seen: float) -> float:
    import psutil

    try:
        times = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return last_seen
    return times.user + times.system


def _run_locust(options, *, port: int, staff_file: Path, results_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "LOAD_STAFF_FILE": str(staff_file)}
    env["LOAD_RESULTS_FILE"] = str(results_file)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(REPO / "loadtest" / "locustfile.py"),
        "--headless",
        "--users",
        str(options.users + 1),  # and the load balancer
        "--spawn-rate",
        str(options.spawn_rate),
        "--run-time",
        options.time,
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(OUT / "locust"),
        "--reset-stats",
        "--only-summary",
        "--stop-timeout",
        "10",
        "--exit-code-on-error",
        "0",
    ]
    with open(OUT / "locust.log", "w") as log:
        subprocess.run(command, cwd=REPO, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)


def _percentile(values: list[float], percent: int) -> float:
    """Nearest rank: the smallest value at or above `percent`% of the sample."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[rank - 1]


def _row(records: list[dict]) -> dict:
    times = [r["ms"] for r in records]
    p95 = round(_percentile(times, 95)) if times else None
    return {
        "requests": len(records),
        "failures": sum(not r["ok"] for r in records),
        "median_ms": round(_percentile(times, 50)) if times else None,
        "p95_ms": p95,
        "goal_p95_ms": GOAL_P95_MS,
        "met": p95 is not None and p95 <= GOAL_P95_MS and not any(not r["ok"] for r in records),
    }


def _summarise(results: dict, options, *, cpu: _CpuSampler | None = None) -> dict:
    records = results["requests"]
    signing_in = [r for r in records if r["name"] in SIGN_IN_ROWS]
    steady = [r for r in records if r["phase"] == "steady" and r["name"] not in SIGN_IN_ROWS]
    names = sorted({r["name"] for r in steady}, key=lambda n: (n == "healthz", n))
    steady_since, ended = results.get("steady_since") or results["ended"], results["ended"]
    wall, portal_cpu, database_cpu = cpu.between(steady_since, ended) if cpu else (0.0, 0.0, 0.0)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores (shared with whatever else runs)",
        "users": options.users,
        "run": options.time,
        "spawn_rate": options.spawn_rate,
        "gunicorn": f"{options.workers} workers x {options.threads} threads (gthread)",
        "steady_seconds": round(ended - steady_since),
        "requests_per_second": round(len(steady) / (ended - steady_since), 1) if ended > steady_since else None,
        "portal_cores_busy": round(portal_cpu / wall, 2) if wall else None,
        "portal_cpu_ms_per_request": round(1000 * portal_cpu / len(steady)) if steady and wall else None,
        "database_cores_busy": round(database_cpu / wall, 2) if wall else None,
        "database_cpu_ms_per_request": round(1000 * database_cpu / len(steady)) if steady and wall else None,
        "pages": {name: _row([r for r in steady if r["name"] == name]) for name in names},
        "sign_in": {name: _row([r for r in signing_in if r["name"] == name]) for name in SIGN_IN_ROWS},
        "total": _row(steady),
    }


def _table(summary: dict) -> str:
    header = f"{'page':<20} {'requests':>8} {'failures':>8} {'median':>7} {'p95':>7} {'goal p95':>9}  met"
    lines = [
        f"{summary['users']} staff, {summary['run']} ({summary['spawn_rate']}/s arriving), "
        f"gunicorn {summary['gunicorn']}, {summary['machine']}, {summary['date']}",
        f"Steady state: {summary['steady_seconds']} s, {summary['requests_per_second']} requests/s. CPU a request: "
        f"gunicorn {summary['portal_cpu_ms_per_request']} ms ({summary['portal_cores_busy']} cores busy), "
        f"PostgreSQL {summary['database_cpu_ms_per_request']} ms ({summary['database_cores_busy']} cores busy)",
        "",
        "Steady state, everyone signed in (ms):",
        header,
    ]
    for name, row in [*summary["pages"].items(), ("total", summary["total"])]:
        lines.append(_line(name, row))
    lines += ["", "Signing in, during the ramp (ms):", header]
    lines += [_line(name, row) for name, row in summary["sign_in"].items()]
    return "\n".join(lines)


def _line(name: str, row: dict) -> str:
    def ms(value):
        return "-" if value is None else str(value)

    met = "yes" if row["met"] else "no"
    return (
        f"{name:<20} {row['requests']:>8} {row['failures']:>8} {ms(row['median_ms']):>7} {ms(row['p95_ms']):>7} "
        f"{'≤ ' + str(row['goal_p95_ms']):>9}  {met}"
    )


if __name__ == "__main__":
    sys.exit(main())
