"""The one timing helper every benchmark uses, and a way to leave nothing behind."""

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.db import transaction


def timed(fn: Callable[[], object], *, repeats: int, warm_up: bool = True) -> list[float]:
    """Wall-clock milliseconds of each of `repeats` calls, after one warm-up call unless told not to."""
    if warm_up:
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "calls": len(ordered),
    }


def percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


@contextmanager
def rolled_back():
    """Rows made inside are never committed."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
