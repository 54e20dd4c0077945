"""PostgreSQL restarted during a publish (scenario_postgres_restart.py): the outcome is recorded
once the worker reconnects, exactly once.

The scenario needs a database it may restart, so it runs in a pytest process of its own whose
DATABASE_URL names a private cluster started here (private_services.PrivatePostgres); this
test runs inside the normal suite, on either database, since the cluster is its own."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from .private_services import POSTGRES_BIN, PrivatePostgres

SCENARIO = Path(__file__).with_name("scenario_postgres_restart.py")


@pytest.fixture
def cluster():
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL's server programs are not installed ({POSTGRES_BIN}/initdb is missing)")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        server.remove()


def test_postgresql_restarting_mid_publish_loses_nothing_and_doubles_nothing(cluster, tmp_path):
    env = {
        **os.environ,
        **cluster.environment(),
        "DATABASE_URL": cluster.url("portal"),
        "PYTEST_ADDOPTS": "",
    }
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", str(SCENARIO), "-q", "-p", "no:cacheprovider", "-p", "no:randomly"),
            # pytest-playwright empties its output folder when a session starts: not the suite's
            # (test-results/, where the browser journeys left their screenshots).
            *("--output", str(tmp_path / "playwright")),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-4000:]
    assert re.search(r"\b2 passed\b", result.stdout), result.stdout[-4000:]
