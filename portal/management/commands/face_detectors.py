"""Compare face detectors on the labelled 12 MP set (issue 12): `python manage.py face_detectors [--json]`.

For each detector: recall overall and by category, false detections (on the non-face photos
and anywhere outside a labelled face), and the median milliseconds per 12 MP photo, wall clock
and CPU (all threads). Each detector gets the full-size photo and is timed from there, so its
own downscaling counts. The labelled set lives in tests/posts/face_set.py and its pictures in
the dev requirements (scikit-image, matplotlib); without them the command says so and stops.

Wall-clock figures depend on what else the machine is doing: the load average at the start and
end is printed with them, and `--repeats N` keeps the fastest of N runs per photo. CPU
milliseconds (all threads added up) depend on it less.
"""

from __future__ import annotations

import json as jsonlib
import os
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np
from django.core.management.base import BaseCommand
from PIL import Image, ImageOps

from posts import faces

Box = tuple[int, int, int, int]
Detector = Callable[[Image.Image], list[Box]]

HAAR_LONG_SIDE = 1024  # what the Haar cascade ran on before issue 12 (~0.4 s on 12 MP)
HAAR_CASCADES = {
    "haar_default": "haarcascade_frontalface_default.xml",
    "haar_alt": "haarcascade_frontalface_alt.xml",
    "haar_alt2": "haarcascade_frontalface_alt2.xml",
    "haar_alt_tree": "haarcascade_frontalface_alt_tree.xml",
}
CATEGORY_ORDER = ("small", "medium", "large", "frontal", "turned", "tilted", "covered", "several")


def _copy(image: Image.Image, long_side: int) -> Image.Image:
    scale = long_side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.5)


def haar(cascade_file: str, *, mirrored_too: bool = False) -> Detector:
    """A bundled cascade as the portal ran it: 1024 px grey copy, step 1.1, 5 neighbours, 24 px."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + cascade_file)

    def detect(image: Image.Image) -> list[Box]:
        small = _copy(image, HAAR_LONG_SIDE)
        grey = np.asarray(small.convert("L"))
        found = [tuple(map(int, box)) for box in cascade.detectMultiScale(grey, 1.1, 5, minSize=(24, 24))]
        if mirrored_too:  # the profile cascade knows faces turned one way only
            flipped = np.asarray(ImageOps.mirror(small.convert("L")))
            width = grey.shape[1]
            found += [
                (width - x - w, y, w, h) for x, y, w, h in cascade.detectMultiScale(flipped, 1.1, 5, minSize=(24, 24))
            ]
        return faces.scale_boxes(faces._drop_nested(found), small.size, image.size)

    return detect


def mtcnn(long_side: int, min_face: float = faces.MIN_FACE) -> Detector:
    def detect(image: Image.Image) -> list[Box]:
        small = _copy(image, long_side)
        boxes = [box for box, _score in faces.mtcnn_faces(np.asarray(small.convert("RGB")), min_face=min_face)]
        return faces.scale_boxes(faces._drop_nested(boxes), small.size, image.size)

    return detect


def portal_detector(image: Image.Image) -> list[Box]:
    """Exactly what prepare_image runs: posts.faces.detection_copy then detect_faces."""
    small = faces.detection_copy(image)
    return faces.detect_faces(small, out_size=image.size)


def both(*detectors: Detector) -> Detector:
    def detect(image: Image.Image) -> list[Box]:
        return [box for detector in detectors for box in detector(image)]

    return detect


def detectors() -> dict[str, Detector]:
    found: dict[str, Detector] = {name: haar(cascade) for name, cascade in HAAR_CASCADES.items()}
    found["haar_profile_both_ways"] = haar("haarcascade_profileface.xml", mirrored_too=True)
    found["mtcnn_1024"] = mtcnn(1024)
    found[f"portal_mtcnn_{faces.DETECTION_LONG_SIDE}"] = portal_detector
    for long_side in (1280, 1536, 2048):
        if long_side != faces.DETECTION_LONG_SIDE:
            found[f"mtcnn_{long_side}"] = mtcnn(long_side)
    found["portal+haar_default"] = both(portal_detector, found["haar_default"])
    found["portal+haar_profile_both_ways"] = both(portal_detector, found["haar_profile_both_ways"])
    return found


def compare(names: list[str] | None = None, repeats: int = 1) -> dict:
    try:
        # tests/ is there only in a source checkout: without it the comparison is skipped.
        from tests.posts import face_set
    except ImportError as exc:
        return {"skipped": f"the labelled set needs tests/posts/face_set.py from the source tree: {exc}"}
    try:
        face_set.portraits()
    except (RuntimeError, OSError) as exc:
        return {"skipped": f"the labelled set needs the dev requirements (scikit-image, matplotlib): {exc}"}

    candidates = detectors()
    if names:
        candidates = {name: candidates[name] for name in names}
    warm_up = Image.new("RGB", (640, 480), (128, 128, 128))
    for detect in candidates.values():
        detect(warm_up)  # load the models before anything is timed

    scores = {name: face_set.Score() for name in candidates}
    cpu_ms: dict[str, list[float]] = {name: [] for name in candidates}
    load_before = os.getloadavg()[0]
    photos = 0
    for photo in face_set.photos():
        photos += 1
        for name, detect in candidates.items():
            walls, cpus = [], []
            for _ in range(repeats):  # the fastest of the repeats: other work on the machine only adds
                wall, cpu = time.perf_counter(), time.process_time()
                boxes = detect(photo.image)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            scores[name].milliseconds.append(min(walls))
            cpu_ms[name].append(min(cpus))
            face_set.score_photo(scores[name], photo, boxes)
    load_after = os.getloadavg()[0]

    any_score = next(iter(scores.values()))
    return {
        "set": {
            "photos": photos,
            "photo_size": "x".join(map(str, face_set.PHOTO_SIZE)),
            "faces": any_score.labelled["all"],
            "faces_by_category": {category: any_score.labelled[category] for category in CATEGORY_ORDER},
            "match": f"IoU >= {face_set.IOU_MATCH} or the detection's centre inside the face's box",
        },
        "machine": {
            "cores": os.cpu_count(),
            "load_average_1min": [round(load_before, 2), round(load_after, 2)],
            "repeats": repeats,
        },
        "detectors": {name: _figures(score, cpu_ms[name]) for name, score in scores.items()},
    }


def _figures(score, cpu_ms: list[float]) -> dict:
    return {
        "recall": round(score.recall(), 3),
        "found": f"{score.found['all']}/{score.labelled['all']}",
        "recall_by_category": {
            category: f"{score.found[category]}/{score.labelled[category]}" for category in CATEGORY_ORDER
        },
        "false_detections": score.false_detections,
        "false_on_non_face_photos": score.false_on_non_face_photos,
        "median_ms": round(statistics.median(score.milliseconds), 1),
        "median_cpu_ms": round(statistics.median(cpu_ms), 1),
    }


def markdown(result: dict) -> str:
    if "skipped" in result:
        return f"Skipped: {result['skipped']}"
    counts = result["set"]["faces_by_category"]
    columns = ["small", "turned", "tilted", "covered", "several"]
    header = (
        "| detector | recall | "
        + " | ".join(f"{category} ({counts[category]})" for category in columns)
        + " | false detections (on non-face photos) | median ms / 12 MP (CPU ms) |"
    )
    lines = [header, "|" + " --- |" * (len(columns) + 4)]
    for name, figures in result["detectors"].items():
        cells = [figures["recall_by_category"][category] for category in columns]
        lines.append(
            f"| {name} | {figures['found']} ({figures['recall']:.0%}) | "
            + " | ".join(cells)
            + f" | {figures['false_detections']} ({figures['false_on_non_face_photos']}) | "
            f"{figures['median_ms']:.0f} ({figures['median_cpu_ms']:.0f}) |"
        )
    machine = result["machine"]
    lines.append("")
    lines.append(
        f"{result['set']['photos']} photos of {result['set']['photo_size']}, {result['set']['faces']} labelled faces; "
        f"a match is {result['set']['match']}. {machine['cores']} cores, load average "
        f"{machine['load_average_1min'][0]} → {machine['load_average_1min'][1]} during the run; "
        f"times are the median over the photos of the fastest of {machine['repeats']} run(s) per photo."
    )
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Compare face detectors on the labelled 12 MP set (recall, false detections, ms per photo)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else.")
        parser.add_argument("--only", default="", help="Comma-separated detector names (default: all).")
        parser.add_argument(
            "--repeats", type=int, default=1, help="Time each photo this many times and keep the fastest (default 1)."
        )

    def handle(self, *args, json: bool, only: str, repeats: int, **options):
        names = [name.strip() for name in only.split(",") if name.strip()] or None
        if names:
            unknown = set(names) - set(detectors())
            if unknown:
                self.stderr.write(f"Unknown detectors: {', '.join(sorted(unknown))}. Known: {', '.join(detectors())}")
                return
        result = compare(names, repeats=max(1, repeats))
        if json:
            self.stdout.write(jsonlib.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(markdown(result))
