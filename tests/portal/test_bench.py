import json
from io import StringIO

from django.core.management import call_command

from accounts.models import School
from consent.models import Pupil


def test_bench_prints_one_json_object_of_figures_and_leaves_nothing_behind(db):
    out = StringIO()
    call_command("bench", "--quick", "--json", stdout=out)

    figures = json.loads(out.getvalue())
    assert set(figures) >= {
        "machine",
        "check_text",
        "weighted_length",
        "consent_check",
        "prepare_image",
        "mis_import",
        "publishing",
        "offensive_recall",
    }
    assert figures["prepare_image"]["jpeg"]["ratio"] > 0
    assert figures["consent_check"]["pupils_2000"]["text_chars"] == 280
    assert figures["consent_check"]["pupils_5000"]["text_chars"] == 9990
    assert figures["mis_import"]["consents"] == 4 * figures["mis_import"]["rows"]
    for network in (
        "local",
        "x",
        "bluesky",
        "mastodon",
    ):  # through a real worker, in a child process on a scratch database
        publishing = figures["publishing"][network]
        if network == "x" and "skipped" in publishing:  # ../shared is not beside the checkout
            assert "openapi.json" in publishing["skipped"]
            continue
        # The headline is the burst approved at once; the same burst one by one comes beside it.
        for burst in (publishing, publishing["approved_one_by_one"]):
            assert burst["published"] == burst["posts"] == 20, publishing
            assert burst["approve_to_published"]["median_ms"] > 0
            assert burst["approve_to_published"]["goal_p95_ms"] > 0
        assert publishing["approved_one_by_one"]["approval"]["calls"] == 20
        assert publishing["approved_one_by_one"]["approval"]["median_ms"] > 0
        assert "threads" in publishing["setup"]["worker"]
        assert publishing["one_at_a_time"]["calls"] == 10
    assert not School.objects.exists() and not Pupil.objects.exists()
