"""`manage.py bench --scale trust`, end to end at a tiny scale: a scratch database is built, every
page is measured there, and nothing is left behind. Figures are printed, never asserted."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import School
from portal.bench.trust import ScratchDatabase
from posts.models import Post

TINY = ["--schools", "2", "--posts-per-school", "120", "--pupils-per-school", "28", "--repeats", "1"]
PAGES = {
    "review_queue",
    "review_post",
    "dashboard_headteacher",
    "dashboard_class_teacher",
    "dashboard_office",
    "calendar_month",
    "calendar_list",
    "consent_register",
    "consent_register_filtered",
    "consent_register_search",
    "my_posts",
    "compose",
    "audit_trail",
    "followers",
    "mentions",
}


def _bench(*arguments) -> str:
    out = StringIO()
    call_command("bench", "--only", "trust", *TINY, *arguments, stdout=out, stderr=StringIO())
    return out.getvalue()


def _scratch_files() -> list[Path]:
    if connection.vendor != "sqlite":
        return []
    configured = Path(str(connection.settings_dict["NAME"]))
    return list(configured.parent.glob(f"{configured.stem}_bench_trust.sqlite3*"))


def test_trust_bench_measures_every_page_of_one_school_among_many_and_leaves_nothing_behind(db):
    figures = json.loads(_bench("--json"))

    trust = figures["trust"]
    assert figures["machine"]["scale"] == "trust"
    assert "review_queue" not in figures  # --only trust skips the other benchmarks
    assert trust["scale"] == {"schools": 2, "posts_per_school": 120, "pupils_per_school": 28}
    assert trust["build"]["rows"]["accounts.school"] == 2
    assert trust["build"]["rows"]["posts.post"] == 240
    assert trust["build"]["rows"]["consent.pupil"] == 56
    assert trust["measured_school"] == {"name": "Trust School 01", "posts": 120, "pupils": 28}
    assert trust["healthz"]["status"] == 200 and trust["healthz"]["median_ms"] > 0
    assert set(trust["pages"]) == PAGES
    for name, page in trust["pages"].items():
        assert page["status"] == 200, (name, page)
        assert page["queries"] > 0, name
        assert page["bytes"] > 0, name
        assert page["median_ms"] > 0 and page["ratio"] > 0, name
        assert page["goal"]["ratio_max"] == 3
        assert isinstance(page["met"], bool)
    assert trust["pages"]["consent_register"]["goal"]["bytes_max"] == 100_000
    assert {row["figure"] for row in figures["issue_15"]} >= {f"page: {name}" for name in PAGES}
    assert trust["database"]["reused"] is False and trust["database"]["kept"] is False

    assert not School.objects.exists() and not Post.objects.exists()  # the portal's database
    assert _scratch_files() == []


def test_reuse_keeps_the_scratch_database_and_measures_it_again_without_building(db):
    try:
        first = json.loads(_bench("--reuse", "--json"))["trust"]
        table = _bench("--reuse")
    finally:
        ScratchDatabase.for_configured_database().drop()

    assert first["database"] == {**first["database"], "reused": False, "kept": True}
    assert "Data set reused" in table
    for name in PAGES:
        assert name in table
    assert "Issue 15, figure by figure:" in table
    assert _scratch_files() == []


def test_the_measuring_child_refuses_the_portals_own_database(db):
    with pytest.raises(RuntimeError, match="scratch database"):
        call_command(
            "bench_trust_run",
            "--schools=1",
            "--posts-per-school=50",
            "--pupils-per-school=14",
            "--repeats=1",
            "--build",
            stdout=StringIO(),
        )
    assert not School.objects.exists()
