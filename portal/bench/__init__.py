"""Every benchmark in one place (`python manage.py bench [--quick] [--scale trust] --json`). Tests
never time anything; these measure on the machine they run on, against the configured database,
and leave nothing behind (every row they make is rolled back, or made in a scratch database).
They share one timing helper (`timing`)."""

from collections.abc import Callable

from . import consent, media, publishing, review_queue, rules

# The benchmarks every run makes, by the name their figures appear under. The trust-scale page
# figures (`trust`) run only when asked for: they build a data set of their own.
BENCHMARKS: dict[str, Callable[[bool], dict]] = {
    "publishing": lambda quick: publishing.bench_publishing(quick=quick),
    "review_queue": lambda quick: review_queue.bench_review_queue(quick=quick),
    "check_text": lambda quick: rules.bench_check_text(pupils=2000, repeats=50 if quick else 200),
    "weighted_length": lambda quick: media.bench_weighted_length(quick=quick),
    "consent_check": lambda quick: consent.bench_consent_check(quick=quick),
    "prepare_image": lambda quick: media.bench_prepare_image(quick=quick),
    "mis_import": lambda quick: consent.bench_mis_import(quick=quick),
}


def run(*, quick: bool, only: list[str] | None = None) -> dict:
    return {name: bench(quick) for name, bench in BENCHMARKS.items() if only is None or name in only}
