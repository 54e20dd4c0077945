"""A labelled set of 12-megapixel photos for measuring face detectors (issue 12).

Every face in it is a real photograph shipped inside a PyPI wheel that ``requirements-dev.txt``
installs (nothing is downloaded):

- scikit-image's ``skimage/data``: ``astronaut.png`` (Eileen Collins, frontal, smiling),
  ``camera.png`` (the cameraman, a head turned about 60° and partly hidden by the camera) and
  ``lfw_subset.npy`` (100 faces from Labeled Faces in the Wild, 25×25 grey crops of 100 people);
- matplotlib's ``sample_data/grace_hopper.jpg`` (frontal, glasses and a peaked cap).

The boxes of the three portraits were checked by eye (forehead to chin, ear to ear less the
ears); an LFW crop is a face from eyebrows to chin, so its box is the whole crop.

From them ``photos()`` builds 4032×3024 canvases: faces from 20 to 400 px wide, turned
(a perspective squeeze to ~55 % width and the real turned cameraman, mirrored too), tilted
(rotated 15–40° either way), covered (a bar over the eyes, the mouth or half the face) and
several per photo (a class photo of 24 and a hall of 18 small faces). Non-face photos hold
helmets (the astronaut's real one and drawn bicycle helmets), brickwork, drawn knitwear,
grass and leaves, gravel, a cat, coffee, a rocket, a motorbike and coins.

Each face carries categories: one size class (``small`` under 64 px wide on the 12 MP photo,
i.e. under 16 px on a 1024 px copy; ``medium`` 64–159 px; ``large`` 160 px and over) and the
ones it was built for (``frontal``, ``turned``, ``tilted``, ``covered``, ``several``).

``score(detect)`` runs a detector over the set and counts matches: a detection matches a
labelled face when their IoU is at least 0.3 or the detection's centre lies inside the face's
box; a detection matching no face is a false detection. Photos are built one at a time (each is
36 MB of pixels) and are the same on every run (fixed seeds).
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

Box = tuple[int, int, int, int]

PHOTO_SIZE = (4032, 3024)
SMALL_BELOW = 64
LARGE_FROM = 160
CATEGORIES = ("small", "medium", "large", "frontal", "turned", "tilted", "covered", "several")
IOU_MATCH = 0.3


@dataclass(frozen=True)
class Face:
    box: Box
    categories: frozenset[str]
    source: str


@dataclass
class Photo:
    name: str
    image: Image.Image
    faces: list[Face] = field(default_factory=list)


@dataclass(frozen=True)
class Portrait:
    """A shipped photo and the box of the one face in it (in its own pixels)."""

    name: str
    image: Image.Image
    face: Box


# --- the shipped pictures ------------------------------------------------------------------


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed: run `make install` (it is in requirements-dev.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def skimage_data(filename: str) -> Path:
    return _package_dir("skimage") / "data" / filename


def matplotlib_sample(filename: str) -> Path:
    return _package_dir("matplotlib") / "mpl-data" / "sample_data" / filename


def portraits() -> dict[str, Portrait]:
    return {
        "astronaut": Portrait("astronaut", _rgb(skimage_data("astronaut.png")), (180, 62, 90, 110)),
        "grace_hopper": Portrait("grace_hopper", _rgb(matplotlib_sample("grace_hopper.jpg")), (170, 118, 182, 212)),
        "cameraman": Portrait("cameraman", _rgb(skimage_data("camera.png")), (198, 117, 57, 76)),
    }


def lfw_faces() -> list[Image.Image]:
    """The 100 face crops of scikit-image's LFW subset (the other 100 crops are not faces)."""
    crops = np.load(skimage_data("lfw_subset.npy"))[:100]
    return [Image.fromarray(np.round(crop * 255).astype(np.uint8), "L").convert("RGB") for crop in crops]


def _rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


# --- building blocks -----------------------------------------------------------------------


def _background(seed: int) -> Image.Image:
    """A wall-and-floor scene: soft gradients, blotches and sensor noise, no faces.

    Made at a sixteenth of the size and enlarged, with a tiled noise layer on top: numpy work
    on 12 MP arrays took seconds per photo on a busy machine.
    """
    rng = np.random.default_rng(seed)
    width, height = PHOTO_SIZE
    small_w, small_h = width // 16, height // 16
    y = np.linspace(0, 1, small_h, dtype=np.float32)[:, None, None]
    top = rng.uniform(110, 210, 3).astype(np.float32)
    bottom = rng.uniform(60, 140, 3).astype(np.float32)
    base = top * (1 - y) + bottom * y + np.zeros((small_h, small_w, 3), np.float32)
    blotches = rng.normal(0, 14, (small_h // 8 + 1, small_w // 8 + 1, 1)).astype(np.float32)
    blotches = np.asarray(
        Image.fromarray(np.clip(blotches[:, :, 0] + 128, 0, 255).astype(np.uint8)).resize(
            (small_w, small_h), Image.Resampling.BICUBIC
        ),
        np.float32,
    )[:, :, None]
    scene = Image.fromarray(np.clip(base + blotches - 128, 0, 255).astype(np.uint8))
    scene = scene.resize(PHOTO_SIZE, Image.Resampling.BILINEAR)
    tile = Image.fromarray(np.clip(rng.normal(128, 6, (512, 512, 3)), 0, 255).astype(np.uint8))
    noise = Image.new("RGB", PHOTO_SIZE)
    for top_edge in range(0, height, 512):
        for left_edge in range(0, width, 512):
            noise.paste(tile, (left_edge, top_edge))
    return ImageChops.add(scene, noise, scale=1.0, offset=-128)


def _portrait_cut(portrait: Portrait, face_width: int) -> tuple[Image.Image, Box]:
    """The portrait around its face (a face width either side, 1.5 below), scaled to face_width."""
    x, y, w, h = portrait.face
    left, top = max(0, x - w), max(0, y - int(0.8 * h))
    right, bottom = min(portrait.image.width, x + 2 * w), min(portrait.image.height, y + int(2.5 * h))
    cut = portrait.image.crop((left, top, right, bottom))
    scale = face_width / w
    size = (max(1, round(cut.width * scale)), max(1, round(cut.height * scale)))
    cut = cut.resize(size, Image.Resampling.LANCZOS)
    return cut, (round((x - left) * scale), round((y - top) * scale), round(w * scale), round(h * scale))


def _lfw_cut(crop: Image.Image, face_width: int) -> tuple[Image.Image, Box]:
    cut = crop.resize((face_width, face_width), Image.Resampling.LANCZOS)
    return cut, (0, 0, face_width, face_width)


def _turn(cut: Image.Image, box: Box, squeeze: float, mirror: bool) -> tuple[Image.Image, Box]:
    """A head turned away: squeeze the width and shrink the far side (a perspective warp)."""
    width, height = cut.size
    new_width = max(1, round(width * squeeze))
    # Corners of the source quad for each corner of the output (Pillow's QUAD transform):
    # the far edge is taller, so it appears shorter after mapping.
    far = 0.12 * height
    quad = (0, -far, 0, height + far, width, height, width, 0)
    turned = cut.transform((new_width, height), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC)
    x, y, w, h = box
    new_box = (round(x * squeeze), y, max(1, round(w * squeeze)), h)
    if mirror:
        turned = ImageOps.mirror(turned)
        new_box = (new_width - new_box[0] - new_box[2], new_box[1], new_box[2], new_box[3])
    return turned, new_box


def _tilt(cut: Image.Image, box: Box, degrees: float) -> tuple[Image.Image, Box]:
    """Rotate the cut (counter-clockwise for positive degrees); the box is the rotated face's bounds."""
    rotated = cut.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(128, 128, 128))
    cx, cy = cut.width / 2, cut.height / 2
    nx, ny = rotated.width / 2, rotated.height / 2
    angle = math.radians(degrees)
    x, y, w, h = box
    points = []
    for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
        dx, dy = px - cx, py - cy
        points.append(
            (nx + dx * math.cos(angle) + dy * math.sin(angle), ny - dx * math.sin(angle) + dy * math.cos(angle))
        )
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    # The face itself is an oval inside its box: shrink the rotated bounds toward the centre.
    fx, fy = sum(xs) / 4, sum(ys) / 4
    half_w = (max(xs) - min(xs)) / 2 * 0.8
    half_h = (max(ys) - min(ys)) / 2 * 0.8
    return rotated, (round(fx - half_w), round(fy - half_h), round(2 * half_w), round(2 * half_h))


def _cover(cut: Image.Image, box: Box, where: str) -> Image.Image:
    """A solid bar over part of the face: the eyes, the mouth or the left half."""
    covered = cut.copy()
    x, y, w, h = box
    bar = {
        "eyes": (x - 0.1 * w, y + 0.25 * h, x + 1.1 * w, y + 0.5 * h),
        "mouth": (x - 0.1 * w, y + 0.62 * h, x + 1.1 * w, y + 1.05 * h),
        "half": (x - 0.1 * w, y - 0.05 * h, x + 0.5 * w, y + 1.05 * h),
    }[where]
    ImageDraw.Draw(covered).rectangle(bar, fill=(35, 45, 60))
    return covered


def _size_class(width: int) -> str:
    return "small" if width < SMALL_BELOW else "large" if width >= LARGE_FROM else "medium"


class _Canvas:
    def __init__(self, name: str, seed: int):
        self.photo = Photo(name, _background(seed))

    def paste(self, cut: Image.Image, box: Box, at: tuple[int, int], source: str, *categories: str) -> None:
        self.photo.image.paste(cut, at)
        x, y, w, h = box
        face_box = (at[0] + x, at[1] + y, w, h)
        self.photo.faces.append(Face(face_box, frozenset({_size_class(w), *categories}), source))


# --- the photos ----------------------------------------------------------------------------


def _photo_sizes(people: dict[str, Portrait]) -> Photo:
    """Frontal faces from 20 to 400 px, the portraits in turn."""
    canvas = _Canvas("sizes", seed=1)
    x, row_y, row_height = 60, 60, 0
    names = ("astronaut", "grace_hopper")
    for index, width in enumerate((20, 24, 28, 32, 40, 48, 56, 64, 80, 100, 128, 160, 200, 260, 330, 400)):
        cut, box = _portrait_cut(people[names[index % 2]], width)
        if x + cut.width > PHOTO_SIZE[0] - 40:
            x, row_y, row_height = 60, row_y + row_height + 60, 0
        canvas.paste(cut, box, (x, row_y), names[index % 2], "frontal")
        x += cut.width + 60
        row_height = max(row_height, cut.height)
    return canvas.photo


def _photo_hall(lfw: list[Image.Image]) -> Photo:
    """The back of a hall: 18 people's faces 20–48 px wide, scattered."""
    canvas = _Canvas("hall", seed=2)
    widths = (20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 24, 30, 36)
    for index, width in enumerate(widths):
        cut, box = _lfw_cut(lfw[index], width)
        at = (200 + (index % 6) * 620 + (index // 6) * 90, 700 + (index // 6) * 650)
        canvas.paste(cut, box, at, f"lfw{index}", "frontal", "several")
    return canvas.photo


def _photo_class(lfw: list[Image.Image]) -> Photo:
    """A class photo: 24 people in four rows, faces 64–120 px (upscaled from 25 px crops)."""
    canvas = _Canvas("class", seed=3)
    for index in range(24):
        row, column = divmod(index, 6)
        width = 120 - row * 18
        cut, box = _lfw_cut(lfw[18 + index], width)
        at = (400 + column * 560 + row * 40, 500 + row * 560)
        canvas.paste(cut, box, at, f"lfw{18 + index}", "frontal", "several")
    return canvas.photo


def _photo_turned(people: dict[str, Portrait], lfw: list[Image.Image]) -> Photo:
    """Heads turned away: squeezed portraits and LFW faces, and the real cameraman both ways."""
    canvas = _Canvas("turned", seed=4)
    plans = [
        ("astronaut", 80, 0.6, False),
        ("grace_hopper", 120, 0.55, True),
        ("astronaut", 200, 0.5, True),
        ("grace_hopper", 260, 0.6, False),
        ("cameraman", 60, 1.0, False),
        ("cameraman", 120, 1.0, True),
        ("cameraman", 240, 1.0, False),
        ("astronaut", 330, 0.55, False),
    ]
    x, y, row_height = 80, 80, 0
    for name, width, squeeze, mirror in plans:
        cut, box = _portrait_cut(people[name], width)
        if squeeze < 1:
            cut, box = _turn(cut, box, squeeze, mirror)
        elif mirror:
            cut, box = ImageOps.mirror(cut), (cut.width - box[0] - box[2], box[1], box[2], box[3])
        if x + cut.width > PHOTO_SIZE[0] - 60:
            x, y, row_height = 80, y + row_height + 80, 0
        canvas.paste(cut, box, (x, y), name, "turned")
        x += cut.width + 120
        row_height = max(row_height, cut.height)
    for index in range(6):
        cut, box = _turn(*_lfw_cut(lfw[50 + index], 100), squeeze=0.6, mirror=index % 2 == 1)
        canvas.paste(cut, box, (300 + index * 600, 2700), f"lfw{50 + index}", "turned")
    return canvas.photo


def _photo_tilted(people: dict[str, Portrait], lfw: list[Image.Image]) -> Photo:
    """Heads tilted 15–40° either way."""
    canvas = _Canvas("tilted", seed=5)
    plans = [
        ("astronaut", 90, 15),
        ("grace_hopper", 110, -20),
        ("astronaut", 150, 25),
        ("grace_hopper", 200, -30),
        ("astronaut", 260, 40),
        ("grace_hopper", 140, 40),
        ("astronaut", 120, -35),
    ]
    x, y, row_height = 80, 80, 0
    for name, width, degrees in plans:
        cut, box = _tilt(*_portrait_cut(people[name], width), degrees)
        if x + cut.width > PHOTO_SIZE[0] - 60:
            x, y, row_height = 80, y + row_height + 80, 0
        canvas.paste(cut, box, (x, y), name, "tilted")
        x += cut.width + 100
        row_height = max(row_height, cut.height)
    for index, degrees in enumerate((15, -20, 25, -30, 35, -40)):
        cut, box = _tilt(*_lfw_cut(lfw[60 + index], 110), degrees)
        canvas.paste(cut, box, (250 + index * 620, 2650), f"lfw{60 + index}", "tilted")
    return canvas.photo


def _photo_covered(people: dict[str, Portrait], lfw: list[Image.Image]) -> Photo:
    """Part of each face behind a bar: eyes (sunglasses, a hand), mouth (a mask), one half."""
    canvas = _Canvas("covered", seed=6)
    plans = [
        ("astronaut", 100, "eyes"),
        ("grace_hopper", 140, "mouth"),
        ("astronaut", 200, "half"),
        ("grace_hopper", 260, "eyes"),
        ("astronaut", 160, "mouth"),
        ("grace_hopper", 90, "half"),
    ]
    x, y, row_height = 80, 80, 0
    for name, width, where in plans:
        cut, box = _portrait_cut(people[name], width)
        cut = _cover(cut, box, where)
        if x + cut.width > PHOTO_SIZE[0] - 60:
            x, y, row_height = 80, y + row_height + 80, 0
        canvas.paste(cut, box, (x, y), name, "covered")
        x += cut.width + 100
        row_height = max(row_height, cut.height)
    for index, where in enumerate(("eyes", "mouth", "half", "eyes", "mouth", "half")):
        cut, box = _lfw_cut(lfw[70 + index], 110)
        canvas.paste(_cover(cut, box, where), box, (250 + index * 620, 2650), f"lfw{70 + index}", "covered")
    return canvas.photo


def _photo_group(people: dict[str, Portrait], lfw: list[Image.Image]) -> Photo:
    """Several people at mixed sizes and poses on one photo."""
    canvas = _Canvas("group", seed=7)
    for index in range(10):
        width = (70, 90, 110, 60, 130, 80, 100, 75, 95, 65)[index]
        cut, box = _lfw_cut(lfw[80 + index], width)
        if index % 3 == 1:
            cut, box = _tilt(cut, box, 18 if index % 2 else -18)
        canvas.paste(cut, box, (150 + index * 380, 300 + (index % 2) * 200), f"lfw{80 + index}", "several")
    for index, (name, width) in enumerate((("astronaut", 180), ("grace_hopper", 150), ("cameraman", 170))):
        cut, box = _portrait_cut(people[name], width)
        extra = ("turned",) if name == "cameraman" else ("frontal",)
        canvas.paste(cut, box, (300 + index * 1250, 1300), name, "several", *extra)
    return canvas.photo


# Non-face photos: anything detected on them is a false detection.


def _tile(texture: Image.Image, scale: float) -> Image.Image:
    texture = texture.convert("RGB")
    texture = texture.resize((max(1, round(texture.width * scale)), max(1, round(texture.height * scale))))
    tiled = Image.new("RGB", PHOTO_SIZE)
    for top in range(0, PHOTO_SIZE[1], texture.height):
        for left in range(0, PHOTO_SIZE[0], texture.width):
            tiled.paste(texture, (left, top))
    return tiled


def _knitwear(stitch: int, seed: int) -> Image.Image:
    """A jumper: rows of V stitches with a Fair Isle band of diamonds and dots."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (1008, 756), (150, 30, 40))
    draw = ImageDraw.Draw(image)
    colours = [(150, 30, 40), (235, 225, 200), (30, 40, 90)]
    for row, top in enumerate(range(0, 756, stitch)):
        band = (row // 4) % 3
        for left in range(0, 1008, stitch):
            colour = colours[band]
            if band == 1 and (left // stitch + row) % 4 == 0:
                colour = colours[2]
            shade = tuple(int(c * rng.uniform(0.75, 1.0)) for c in colour)
            half = stitch / 2
            draw.polygon([(left, top), (left + half, top + stitch), (left + half, top + stitch * 0.6)], fill=shade)
            draw.polygon(
                [(left + stitch, top), (left + half, top + stitch), (left + half, top + stitch * 0.6)],
                fill=tuple(int(c * 0.8) for c in shade),
            )
    return image.filter(ImageFilter.GaussianBlur(1))


def _helmet(width: int, colour: tuple[int, int, int]) -> Image.Image:
    """A drawn bicycle helmet seen from the front: a shell, dark vents and a visor."""
    height = int(width * 0.8)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, width, height * 1.6), fill=(*colour, 255))
    for index in range(5):
        vx = width * (0.15 + index * 0.15)
        draw.ellipse((vx, height * 0.25, vx + width * 0.09, height * 0.55), fill=(20, 20, 20, 255))
    draw.rectangle((width * 0.05, height * 0.72, width * 0.95, height * 0.82), fill=(15, 15, 15, 255))
    draw.line((width * 0.2, height * 0.82, width * 0.5, height), fill=(30, 30, 30, 255), width=max(1, width // 40))
    draw.line((width * 0.8, height * 0.82, width * 0.5, height), fill=(30, 30, 30, 255), width=max(1, width // 40))
    return image


def _photo_helmets(people: dict[str, Portrait]) -> Photo:
    photo = Photo("helmets", _background(8))
    real_helmet = people["astronaut"].image.crop((272, 338, 512, 512))
    x = 60
    for scale in (0.5, 1.0, 2.0, 3.0):
        piece = real_helmet.resize((round(real_helmet.width * scale), round(real_helmet.height * scale)))
        photo.image.paste(piece, (x, 80))
        x += piece.width + 60
    for index, (width, colour) in enumerate(
        ((120, (230, 230, 230)), (200, (220, 60, 40)), (300, (40, 90, 200)), (420, (250, 200, 30)), (160, (20, 20, 20)))
    ):
        helmet = _helmet(width, colour)
        photo.image.paste(helmet, (150 + index * 760, 1500 + (index % 2) * 500), helmet)
    return photo


def _photo_knitwear() -> Photo:
    photo = Photo("knitwear_brick", _tile(_knitwear(24, seed=9), 1.0))
    brick = Image.open(skimage_data("brick.png"))
    photo.image.paste(_tile(brick, 1.5).crop((0, 0, 2016, 3024)), (2016, 0))
    return photo


def _photo_leaves() -> Photo:
    photo = Photo("leaves_gravel", _tile(Image.open(skimage_data("grass.png")), 2.0))
    photo.image.paste(_tile(Image.open(skimage_data("gravel.png")), 1.0).crop((0, 0, 2016, 1512)), (2016, 1512))
    return photo


def _photo_things() -> Photo:
    """A cat, coffee, a rocket, a motorbike, coins, a galaxy field and a textbook page."""
    photo = Photo("things", _background(10))
    things = ("chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "coins.png", "hubble_deep_field.jpg")
    for index, filename in enumerate(things):
        with Image.open(skimage_data(filename)) as thing:
            picture = thing.convert("RGB")
        picture.thumbnail((1300, 1300))
        scale = 1300 / max(picture.size)
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)))
        photo.image.paste(picture, ((index % 3) * 1340, (index // 3) * 1500))
    return photo


PHOTO_NAMES = (
    "sizes",
    "hall",
    "class",
    "turned",
    "tilted",
    "covered",
    "group",
    "helmets",
    "knitwear_brick",
    "leaves_gravel",
    "things",
)


def photos(names: tuple[str, ...] = PHOTO_NAMES) -> Iterator[Photo]:
    """The labelled photos, built one at a time."""
    people = portraits()
    lfw = lfw_faces()
    builders: dict[str, Callable[[], Photo]] = {
        "sizes": lambda: _photo_sizes(people),
        "hall": lambda: _photo_hall(lfw),
        "class": lambda: _photo_class(lfw),
        "turned": lambda: _photo_turned(people, lfw),
        "tilted": lambda: _photo_tilted(people, lfw),
        "covered": lambda: _photo_covered(people, lfw),
        "group": lambda: _photo_group(people, lfw),
        "helmets": lambda: _photo_helmets(people),
        "knitwear_brick": _photo_knitwear,
        "leaves_gravel": _photo_leaves,
        "things": _photo_things,
    }
    for name in names:
        yield builders[name]()


# --- scoring -------------------------------------------------------------------------------


def iou(a: Box, b: Box) -> float:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0, width) * max(0, height)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def matches(detection: Box, face: Box) -> bool:
    cx, cy = detection[0] + detection[2] / 2, detection[1] + detection[3] / 2
    inside = face[0] <= cx <= face[0] + face[2] and face[1] <= cy <= face[1] + face[3]
    return inside or iou(detection, face) >= IOU_MATCH


@dataclass
class Score:
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("all", *CATEGORIES), 0))
    labelled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("all", *CATEGORIES), 0))
    false_detections: int = 0
    false_on_non_face_photos: int = 0
    milliseconds: list[float] = field(default_factory=list)
    missed: list[tuple[str, Face]] = field(default_factory=list)
    false_boxes: list[tuple[str, Box]] = field(default_factory=list)

    def recall(self, category: str = "all") -> float | None:
        labelled = self.labelled[category]
        return self.found[category] / labelled if labelled else None


def score_photo(result: Score, photo: Photo, detections: list[Box]) -> None:
    for face in photo.faces:
        hit = any(matches(detection, face.box) for detection in detections)
        for category in ("all", *face.categories):
            result.labelled[category] += 1
            result.found[category] += hit
        if not hit:
            result.missed.append((photo.name, face))
    for detection in detections:
        if not any(matches(detection, face.box) for face in photo.faces):
            result.false_detections += 1
            result.false_on_non_face_photos += not photo.faces
            result.false_boxes.append((photo.name, detection))


def score(detect: Callable[[Image.Image], list[Box]], names: tuple[str, ...] = PHOTO_NAMES) -> Score:
    """Run ``detect`` (a 12 MP RGB image in, boxes in its pixels out) over the set, timing each call."""
    result = Score()
    for photo in photos(names):
        start = time.perf_counter()
        detections = detect(photo.image)
        result.milliseconds.append((time.perf_counter() - start) * 1000)
        score_photo(result, photo, detections)
    return result
