from consent.models import Pupil
from portal.bench.rules import bench_check_text


def test_the_benchmark_reports_figures_and_leaves_nothing_behind(db):
    figures = bench_check_text(pupils=50, repeats=5)
    assert figures["pupils"] == 50
    assert figures["repeats"] == 5
    assert figures["text_length"] == 280
    assert 0 < figures["median_ms"] <= figures["p95_ms"]
    assert figures["findings"] > 0
    assert not Pupil.objects.exists()
