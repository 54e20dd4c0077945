import json
from io import StringIO

from django.core.management import call_command


def test_bench_prints_recall_and_false_alarms_with_the_package_measured():
    out = StringIO()
    call_command("bench", "--quick", "--only", "offensive_recall", "--json", stdout=out)

    figures = json.loads(out.getvalue())
    assert set(figures) == {"machine", "offensive_recall"}
    recall = figures["offensive_recall"]
    assert recall["package"] == "glin-profanity"
    if "skipped" in recall:  # the package is not installed here: the test of the figures says so or fails in CI
        assert "pip install" in recall["skipped"]
        return
    assert recall["version"]
    assert recall["measured"] + recall["left_out"] == recall["entries"]
    assert 0 < recall["recall_percent"] <= 100
    assert recall["left_out_by_reason"] and all(recall["left_out_by_reason"].values())
    for innocent in ("innocent_words", "school_posts"):
        assert recall[innocent]["checked"] > 0
        assert recall[innocent]["false_alarms"] == len(recall[innocent]["flagged"])
        assert recall[innocent]["percent"] == round(
            100 * recall[innocent]["false_alarms"] / recall[innocent]["checked"], 1
        )
