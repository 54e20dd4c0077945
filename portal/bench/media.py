"""Photos and text: `prepare_image` against plain Pillow, and X's weighted length."""

import io
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pillow_heif
from PIL import Image

from networks.x.tweet_text import weighted_length
from posts import faces, images
from posts.images import prepare_image

from .timing import summary, timed

# Issue 15: preparing a 12 MP photo may cost at most this many times a bare Pillow open and save.
GOAL_RATIO = 1.3


def _photo_like(width: int, height: int, seed: int = 7):
    """A noisy, photo-sized picture: compresses like a camera JPEG rather than a flat test card."""
    rng = np.random.default_rng(seed)
    gradient = np.linspace(40, 215, width, dtype=np.float32)[None, :, None]
    noise = rng.normal(0, 28, (height, width, 3)).astype(np.float32)
    pixels = np.clip(gradient + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def bench_prepare_image(*, quick: bool) -> dict:
    """`prepare_image` next to a plain Pillow open → save of the same bytes, as a ratio.

    The two are called in turn, one of each per round, so a burst of other work on the machine
    lands on both rather than on whichever ran during it. CPU milliseconds (all threads added up)
    are given too: they move less with the machine's load than wall-clock time does.
    ``stages_ms`` times each step of `prepare_image` on its own; face detection and the JPEG run
    at the same time in `prepare_image`, so the stages add up to more than its wall time.
    """
    pillow_heif.register_heif_opener()
    results = {}
    sizes = {"jpeg": (4032, 3024), "heic": (1008, 756) if quick else (4032, 3024)}
    repeats = 3 if quick else 7
    for kind, (width, height) in sizes.items():
        picture = _photo_like(width, height)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG" if kind == "jpeg" else "HEIF", quality=90)
        data = buffer.getvalue()

        ours, baseline = _in_turn(lambda data=data: prepare_image(data), lambda data=data: _plain(data), repeats)
        ratio = round(ours["median_ms"] / baseline["median_ms"], 2)
        results[kind] = {
            "size": f"{width}x{height}",
            "bytes": len(data),
            "prepare_image": ours,
            "plain_pillow": baseline,
            "ratio": ratio,
            "goal_ratio": GOAL_RATIO,
            "met": ratio <= GOAL_RATIO,
            "cpu_ratio": round(ours["median_cpu_ms"] / baseline["median_cpu_ms"], 2),
            "stages_ms": _stages(data, repeats),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    return results


def _plain(data: bytes) -> None:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, format="JPEG", quality=85)


def _in_turn(ours: Callable[[], object], theirs: Callable[[], object], repeats: int) -> tuple[dict, dict]:
    """Alternate the two calls (after one warm-up each): wall and CPU milliseconds of each."""
    ours(), theirs()
    samples: dict[str, list[tuple[float, float]]] = {"ours": [], "theirs": []}
    for _ in range(repeats):
        for name, call in (("ours", ours), ("theirs", theirs)):
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            samples[name].append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return tuple(
        {**summary([wall for wall, _ in pairs]), "median_cpu_ms": round(statistics.median(c for _, c in pairs), 3)}
        for pairs in (samples["ours"], samples["theirs"])
    )


def _stages(data: bytes, repeats: int) -> dict[str, float]:
    """Median milliseconds of each step of prepare_image, run one after another."""
    decoded = images._clean(images._open(data, images.sniff_format(data), images.MAX_PIXELS))
    small = faces.detection_copy(decoded)
    steps = {
        "decode": lambda: images._clean(images._open(data, images.sniff_format(data), images.MAX_PIXELS)),
        "detection_copy": lambda: faces.detection_copy(decoded),
        "faces": lambda: faces.detect_faces(small),
        "encode": lambda: images._encode_within(decoded, images.MAX_JPEG_BYTES),
        "thumbnail": lambda: images._thumbnail(small),
    }
    return {name: summary(timed(step, repeats=repeats))["median_ms"] for name, step in steps.items()}


def bench_weighted_length(*, quick: bool) -> dict:
    text = ("Year 3 built volcanoes 🌋 today! See https://example.org/science 👩🏽‍🔬 #science " * 4)[:280]
    return summary(timed(lambda: weighted_length(text), repeats=200 if quick else 2000))
