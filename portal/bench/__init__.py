"""Every benchmark in one place (`python manage.py bench [--quick] [--scale trust] --json`). Tests
never time anything; these measure on the machine they run on, against the configured database,
and leave nothing behind (every row they make is rolled back, or made in a scratch database).
They share one timing helper (`timing`)."""

from collections.abc import Callable

from . import consent, media, offensive_recall, publishing, rules

# The benchmarks every run makes, by the name their figures appear under. The pages are measured
# by `trust` (`--scale trust`), only when asked for: they need a data set of their own, committed
# and analysed as a real database is (a queue filled inside a transaction that is rolled back,
# as an earlier benchmark did, is planned without statistics and so timed as no school sees it).
BENCHMARKS: dict[str, Callable[[bool], dict]] = {
    "publishing": lambda quick: publishing.bench_publishing(quick=quick),
    "check_text": lambda quick: rules.bench_check_text(pupils=2000, repeats=50 if quick else 200),
    "weighted_length": lambda quick: media.bench_weighted_length(quick=quick),
    "consent_check": lambda quick: consent.bench_consent_check(quick=quick),
    "prepare_image": lambda quick: media.bench_prepare_image(quick=quick),
    "mis_import": lambda quick: consent.bench_mis_import(quick=quick),
    # Figures, not timings: the same (and quick) with --quick.
    "offensive_recall": lambda quick: offensive_recall.bench_offensive_recall(),
}


def run(*, quick: bool, only: list[str] | None = None) -> dict:
    return {name: bench(quick) for name, bench in BENCHMARKS.items() if only is None or name in only}
