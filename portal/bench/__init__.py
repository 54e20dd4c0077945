"""Every benchmark in one place (`python manage.py bench [--quick] --json`). Tests never time
anything; these measure on the machine they run on, against the configured database, and leave
nothing behind (every row they make is rolled back, or made in a scratch database). They share
one timing helper (`timing`)."""

from . import consent, media, publishing, review_queue, rules


def run(*, quick: bool) -> dict:
    return {
        "publishing": publishing.bench_publishing(quick=quick),
        "review_queue": review_queue.bench_review_queue(quick=quick),
        "check_text": rules.bench_check_text(pupils=2000, repeats=50 if quick else 200),
        "weighted_length": media.bench_weighted_length(quick=quick),
        "consent_check": consent.bench_consent_check(quick=quick),
        "prepare_image": media.bench_prepare_image(quick=quick),
        "mis_import": consent.bench_mis_import(quick=quick),
    }
