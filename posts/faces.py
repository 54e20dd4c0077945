"""Face detection for photos of pupils: OpenCV's bundled Haar cascade for frontal faces.

Why this detector: it ships inside ``opencv-python-headless`` 4.x (``cv2.data.haarcascades``),
so it works offline with no model file of our own. ``opencv-python-headless`` 5.x dropped both
``CascadeClassifier`` and the bundled cascades, hence the ``<5`` pin. Better detectors (YuNet,
MediaPipe) need a model file that no PyPI package ships or replace the headless ``cv2``.

How it runs: on a grey copy whose longest side is at most ``DETECTION_LONG_SIDE`` (1024 px).
A full 12 MP frame takes 3–4 s and finds more false faces; the copy takes ~0.4 s. Boxes are
mapped back to the caller's pixels with ``scale_boxes``.

What it cannot do — the author must check every photo and can draw a box the detector missed:

- Profiles and turned heads: the cascade is trained on frontal faces. Heads typically turned
  more than 30–45°, tilted more than ~15°, seen from above/below or from behind are missed.
- Small faces: the smallest face it can see is ``MIN_FACE`` (24 px) on the 1024 px copy, i.e.
  about 2.5 % of the photo's long side (~95 px on a 4032 px photo). Faces at the back of a
  hall, a class photo from across the room, or a face in a poster/screen are often missed.
- Occlusion and lighting: hands, hair over the eyes, masks, face paint, sunglasses, hats,
  strong backlight or deep shadow cause misses.
- False alarms: textures with a face-like dark/light pattern (brickwork, knitwear, leaves,
  displays of children's drawings, printed faces on posters and book covers) give boxes that
  are not faces; the author marks them "not a face".

Nothing here was measured on real photos (none can be fetched in this environment); miss and
false-alarm rates must be measured on a set of real, consented school photos before relying on
the figures above. The tests only prove plumbing (coordinates, scaling) and a drawn face.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]

DETECTION_LONG_SIDE = 1024
CASCADE_FILE = "haarcascade_frontalface_default.xml"
# Tuned for recall over precision: a missed face can identify a child without consent, a
# false alarm costs the author one tap. 1.1 is OpenCV's documented default step between
# scales; 5 overlapping hits are needed before a box counts (OpenCV's default of 3 lets more
# chance hits on textures through); 24 px is the cascade's own window, so no face the cascade
# could see on the copy is dropped.
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_FACE = 24

_local = threading.local()


def detection_copy(image: Image.Image) -> Image.Image:
    """A copy no larger than DETECTION_LONG_SIDE on its longest side (the image itself if smaller)."""
    width, height = image.size
    longest = max(width, height)
    if longest <= DETECTION_LONG_SIDE:
        return image
    scale = DETECTION_LONG_SIDE / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap shrinks by whole factors first (fast box filter), then resamples the rest.
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def detect_faces(image: Image.Image, *, out_size: tuple[int, int] | None = None) -> list[Box]:
    """Frontal faces in ``image`` as ``(x, y, w, h)`` boxes in ``out_size`` pixels.

    ``image`` should already be a small copy (see ``detection_copy``); ``out_size`` is the size
    of the image the boxes are meant for (defaults to ``image.size``).
    """
    # No histogram equalisation: the cascade already normalises every window by its own
    # contrast, and equalising the whole picture amplified noise into false faces (and lost a
    # drawn face) in our synthetic checks.
    boxes = _drop_nested(_detect_raw(np.asarray(image.convert("L"))))
    return scale_boxes(boxes, image.size, out_size or image.size)


def scale_boxes(boxes: list[Box], from_size: tuple[int, int], to_size: tuple[int, int]) -> list[Box]:
    """Map boxes between two sizes of the same picture, rounding outwards and clipping to it."""
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    scaled = []
    for x, y, w, h in boxes:
        left = max(0, int(x * sx))
        top = max(0, int(y * sy))
        right = min(to_size[0], int(np.ceil((x + w) * sx)))
        bottom = min(to_size[1], int(np.ceil((y + h) * sy)))
        if right > left and bottom > top:
            scaled.append((left, top, right - left, bottom - top))
    return scaled


def _drop_nested(boxes: list[Box]) -> list[Box]:
    """One box per face: the cascade often reports a face twice, a smaller box inside a larger one.

    A box lying mostly (over half its area) inside a larger one is dropped; the larger box is
    kept because it covers more of the head when the face is redacted.
    """
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b[2] * b[3], reverse=True):
        if all(_overlap(box, other) <= 0.5 * box[2] * box[3] for other in kept):
            kept.append(box)
    return sorted(kept)


def _overlap(a: Box, b: Box) -> int:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, width) * max(0, height)


def _detect_raw(grey: np.ndarray) -> list[Box]:
    found = _cascade().detectMultiScale(
        grey, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS, minSize=(MIN_FACE, MIN_FACE)
    )
    return [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]


def _cascade() -> cv2.CascadeClassifier:
    # One classifier per thread: OpenCV does not promise detectMultiScale is thread-safe.
    cascade = getattr(_local, "cascade", None)
    if cascade is None:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADE_FILE)
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load {CASCADE_FILE}; is opencv-python-headless<5 installed?")
        _local.cascade = cascade
    return cascade
