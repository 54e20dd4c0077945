"""Waiting for something another process does (a worker, the run command), without timing it."""

import time

import pytest


def wait_for(condition, *, what: str = "", timeout: float = 60.0, interval: float = 0.2, ignore=()):
    """Poll until condition() is truthy and return its value; fail the test if it never is.
    Exceptions of the types in `ignore` (a server not listening yet) count as "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except ignore:
            result = None
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"gave up waiting after {timeout:.0f}s" + (f" for: {what}" if what else ""))
