"""Photos and text: `prepare_image` against plain Pillow, and X's weighted length."""

import io

import numpy as np
import pillow_heif
from PIL import Image

from networks.x.tweet_text import weighted_length
from posts.images import prepare_image

from .timing import summary, timed


def _photo_like(width: int, height: int, seed: int = 7):
    """A noisy, photo-sized picture: compresses like a camera JPEG rather than a flat test card."""
    rng = np.random.default_rng(seed)
    gradient = np.linspace(40, 215, width, dtype=np.float32)[None, :, None]
    noise = rng.normal(0, 28, (height, width, 3)).astype(np.float32)
    pixels = np.clip(gradient + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def bench_prepare_image(*, quick: bool) -> dict:
    """`prepare_image` next to a plain Pillow open → save of the same bytes, as a ratio."""
    pillow_heif.register_heif_opener()
    results = {}
    sizes = {"jpeg": (4032, 3024), "heic": (1008, 756) if quick else (4032, 3024)}
    for kind, (width, height) in sizes.items():
        picture = _photo_like(width, height)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG" if kind == "jpeg" else "HEIF", quality=90)
        data = buffer.getvalue()

        def plain(data=data):
            out = io.BytesIO()
            Image.open(io.BytesIO(data)).convert("RGB").save(out, format="JPEG", quality=85)

        repeats = 3 if quick else 7
        ours = summary(timed(lambda data=data: prepare_image(data), repeats=repeats))
        baseline = summary(timed(plain, repeats=repeats))
        results[kind] = {
            "size": f"{width}x{height}",
            "bytes": len(data),
            "prepare_image": ours,
            "plain_pillow": baseline,
            "ratio": round(ours["median_ms"] / baseline["median_ms"], 2),
        }
    return results


def bench_weighted_length(*, quick: bool) -> dict:
    text = ("Year 3 built volcanoes 🌋 today! See https://example.org/science 👩🏽‍🔬 #science " * 4)[:280]
    return summary(timed(lambda: weighted_length(text), repeats=200 if quick else 2000))
