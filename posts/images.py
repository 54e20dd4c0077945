"""The image pipeline: a teacher's upload in, a publishable JPEG out.

``prepare_image(data)`` takes the raw bytes of an upload (a filename is never consulted) and
returns a ``PreparedImage``:

- the real type is sniffed from the first bytes and must agree with what Pillow decodes;
  JPEG, PNG, HEIC/HEIF (the iPad camera's default, through pillow-heif), WebP and still GIF are
  accepted, anything else is refused by name ("it looks like a PDF"), and so is an animation
  (moving GIF, animated PNG or WebP), by its number of frames;
- every limit in ``posts.upload_limits`` is checked before any pixel is decoded: bytes first, then
  from the header the size as the photo is shown (its EXIF orientation applied), the shortest and
  longest side, the aspect ratio and the megapixels; each refusal gives the exact figure and the
  limit. A truncated or corrupt file is refused rather than padded with grey;
- the original is cleaned for keeping (``posts.metadata``): orientation, date taken, camera make and
  model stay, GPS position, serial numbers, names, maker notes, XMP and IPTC go, and the make and
  model are returned on the ``PreparedImage``;
- the EXIF orientation is applied, transparency is flattened on white, colours are converted to
  sRGB when the file carries an ICC profile, and every piece of metadata (EXIF with GPS, XMP,
  ICC, comments) is left behind: the JPEG is encoded from pixels only;
- the longest side is at most ``MAX_LONG_SIDE`` and the JPEG at most ``MAX_JPEG_BYTES``
  (X's image limit), starting at quality 85 and stepping down; a sample of the picture's rows
  says which steps cannot fit, so a photo is compressed whole only once unless the sample was
  wrong;
- faces are found on a small copy (see ``posts.faces``) and given in the prepared image's
  pixels; a 480×480 thumbnail comes from the same copy.

``redact(jpeg, boxes)`` burns a solid shape over each box (never a blur, which can be undone).

Refusals raise ``ImageRejected`` whose message is written for a class teacher on an iPad.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image, ImageCms, ImageDraw, ImageOps

from posts import faces as face_detection
from posts import upload_limits as limits
from posts.faces import Box
from posts.metadata import clean_original

MAX_UPLOAD_BYTES = limits.MAX_UPLOAD_BYTES
MAX_PIXELS = limits.MAX_PIXELS
MAX_LONG_SIDE = limits.PREPARED_LONG_SIDE
MAX_JPEG_BYTES = limits.PREPARED_MAX_BYTES
JPEG_QUALITY = 85
# Quality steps tried before shrinking the picture: below about 65, JPEG blocks show on skin and text.
QUALITY_STEPS = (JPEG_QUALITY, 75, 65)
# A picture at least this tall has its JPEG size estimated from a sample of its rows before it is
# compressed whole: SAMPLE_BANDS bands of 16 rows (one row of 4:2:0 JPEG blocks) spread evenly.
SAMPLE_BANDS = 16
SAMPLE_BAND_ROWS = 16
SAMPLE_FROM_ROWS = 4 * SAMPLE_BANDS * SAMPLE_BAND_ROWS
# The sample was within 2.5 % of the whole on the photos measured: a step estimated more than
# 5 % over the limit is not worth compressing.
SURELY_OVER = 1.05
THUMBNAIL_SIZE = (480, 480)
THUMBNAIL_QUALITY = 80
REDACTION_COLOUR = (70, 70, 70)
REDACTION_PADDING = 0.15

WRONG_TYPE = "This file is not a photo we can use (it looks like {what}). " + limits.ACCEPTED_TYPES_SENTENCE
DAMAGED = (
    "This photo seems to be damaged or was only partly uploaded, so we cannot open it. "
    "Try uploading it again, or take the photo again."
)

TOO_LARGE = (
    f"This photo is far larger than {limits.MAX_MEGAPIXELS} megapixels, the most a photo can be. "
    "Take it again with the iPad camera, or share a smaller copy."
)
_ORIENTATION = 0x0112
_TURNED = (5, 6, 7, 8)

pillow_heif.register_heif_opener()

# What Pillow and pillow-heif raise for files that are not what they claim or stop short.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, RuntimeError, struct.error)
_SRGB = ImageCms.createProfile("sRGB")
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
_VIDEO_BRANDS = {b"qt  ", b"isom", b"iso2", b"mp41", b"mp42", b"M4V ", b"M4A ", b"3gp4", b"3gp5", b"avc1", b"dash"}
_NOT_PHOTOS = (
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP file or an Office document"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office document"),
    (b"II*\x00", "a TIFF or camera RAW file"),
    (b"MM\x00*", "a TIFF or camera RAW file"),
    (b"8BPS", "a Photoshop file"),
    (b"BM", "a BMP picture"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"\x1f\x8b", "a compressed archive"),
    (b"Rar!", "a compressed archive"),
    (b"7z\xbc\xaf", "a compressed archive"),
)


class ImageRejected(ValueError):
    """The upload cannot be used; ``message`` is meant to be shown to the teacher as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PreparedImage:
    jpeg: bytes
    width: int
    height: int
    faces: list[Box] = field(default_factory=list)
    thumbnail: bytes = b""
    source_format: str = ""  # Pillow's name for what was uploaded: JPEG, PNG, HEIF, WEBP or GIF
    # The upload to keep as the private original: the same picture, its metadata cut down to the
    # orientation, the date taken and the camera (see posts.metadata). Its format is usually the
    # upload's; a file whose layout was not understood is re-encoded (``original_lossless`` False).
    original: bytes = b""
    original_format: str = ""
    original_lossless: bool = True
    camera_make: str = ""
    camera_model: str = ""


def prepare_image(
    data: bytes,
    *,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_jpeg_bytes: int = MAX_JPEG_BYTES,
) -> PreparedImage:
    """Check, clean and shrink an uploaded photo for publishing; raise ImageRejected if unusable."""
    if len(data) > max_upload_bytes:
        raise ImageRejected(limits.too_many_bytes(len(data), max_upload_bytes))
    source_format = sniff_format(data)
    image = _open(data, source_format, max_pixels, check_limits=True)
    try:
        original = clean_original(data, source_format)
    except _DECODE_ERRORS as error:
        raise ImageRejected(DAMAGED) from error
    image = _clean(image)

    # A helper thread makes the JPEG and the thumbnail while this one looks for faces, the longer
    # task: Pillow's coders and OpenCV's networks let go of the GIL, so when two cores are free
    # the two run side by side.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare-image") as helper:
        encoding = helper.submit(_encode_within, image, max_jpeg_bytes)
        small = face_detection.detection_copy(image)
        thumbnailing = helper.submit(_thumbnail, small)
        faces_on_small = face_detection.detect_faces(small)
    jpeg, prepared = encoding.result()
    return PreparedImage(
        jpeg=jpeg,
        width=prepared.width,
        height=prepared.height,
        faces=face_detection.scale_boxes(faces_on_small, small.size, prepared.size),
        thumbnail=thumbnailing.result(),
        source_format=source_format,
        original=original.data,
        original_format=original.format,
        original_lossless=original.lossless,
        camera_make=original.camera_make,
        camera_model=original.camera_model,
    )


def redact(
    jpeg: bytes,
    boxes: list[Box],
    *,
    colour: tuple[int, int, int] = REDACTION_COLOUR,
    max_jpeg_bytes: int = MAX_JPEG_BYTES,
) -> bytes:
    """Burn a solid rounded block over each ``(x, y, w, h)`` box of a prepared JPEG.

    Each block is the box grown by REDACTION_PADDING on every side; its corner radius is small
    enough that the whole original box is always covered. The result carries no metadata.
    """
    image = _open(jpeg, "JPEG", MAX_PIXELS).convert("RGB")
    draw = ImageDraw.Draw(image)
    for x, y, w, h in boxes:
        if w <= 0 or h <= 0:
            raise ValueError(f"A redaction box needs a positive size, got {(x, y, w, h)}")
        pad_x, pad_y = w * REDACTION_PADDING, h * REDACTION_PADDING
        # Not clipped to the picture: a face at the edge keeps its rounded corner outside the
        # frame, so the part inside stays fully covered. Drawing clips at the edges itself.
        block = (x - pad_x, y - pad_y, x + w + pad_x, y + h + pad_y)
        draw.rounded_rectangle(block, radius=0.25 * min(w, h) * (1 + 2 * REDACTION_PADDING), fill=colour)
    encoded, _ = _encode_within(image, max_jpeg_bytes)
    return encoded


def sniff_format(data: bytes) -> str:
    """Pillow's format name for an accepted photo, judged from its first bytes; else ImageRejected."""
    if not data:
        raise ImageRejected("This file is empty. Choose the photo again and re-upload it.")
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        brands = _ftyp_brands(data)
        if brands & _HEIF_BRANDS and not brands & {b"avif", b"avis"}:
            return "HEIF"
        what = "an AVIF picture" if brands & {b"avif", b"avis"} else "a video" if brands & _VIDEO_BRANDS else None
        raise ImageRejected(WRONG_TYPE.format(what=what or "a video or another media file"))
    raise ImageRejected(WRONG_TYPE.format(what=_describe(head)))


def _ftyp_brands(data: bytes) -> set[bytes]:
    (box_size,) = struct.unpack(">I", data[:4])
    box = data[8 : min(max(box_size, 16), 4096)]
    return {box[i : i + 4] for i in range(0, len(box) - 3, 4) if i != 4}  # skip the minor version


def _describe(head: bytes) -> str:
    for magic, what in _NOT_PHOTOS:
        if head.startswith(magic):
            return what
    text = head.lstrip().lower()
    if text.startswith((b"<svg", b"<?xml")):
        return "an SVG drawing or other XML file"
    if text.startswith((b"<!doctype html", b"<html")):
        return "a web page"
    if text.startswith(b"{\\rtf"):
        return "a Word (RTF) document"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # Cutting at 64 bytes may split a multi-byte character; judge the rest.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return "a kind of file we do not recognise"
    return "a text file" if b"\x00" not in head else "a kind of file we do not recognise"


def _open(data: bytes, source_format: str, max_pixels: int, *, check_limits: bool = False) -> Image.Image:
    """Decode the first frame, refusing huge and broken images before any pixel work is done;
    with ``check_limits``, refusing too every picture the upload limits do not allow."""
    try:
        # Pillow's bomb warning (over Image.MAX_IMAGE_PIXELS) is silenced: the header's size is
        # checked against our own limit below. Far bigger images raise DecompressionBombError.
        with warnings.catch_warnings(action="ignore", category=Image.DecompressionBombWarning):
            image = Image.open(io.BytesIO(data), formats=[source_format])
    except Image.DecompressionBombError as bomb:
        pixels = _pixels_from_message(str(bomb))
        raise ImageRejected(limits.too_many_pixels(pixels, max_pixels) if pixels else TOO_LARGE) from bomb
    except _DECODE_ERRORS as error:
        raise ImageRejected(DAMAGED) from error

    if image.width * image.height > max_pixels:
        raise ImageRejected(limits.too_many_pixels(image.width * image.height, max_pixels))
    if check_limits:
        _check_limits(image, source_format, max_pixels)

    # A JPEG much bigger than MAX_LONG_SIDE can be decoded at 1/2, 1/4 or 1/8 scale directly.
    if source_format == "JPEG" and max(image.size) > 2 * MAX_LONG_SIDE:
        image.draft(None, _fit(image.size, MAX_LONG_SIDE))
    try:
        image.load()
    except _DECODE_ERRORS as error:
        raise ImageRejected(DAMAGED) from error
    return image


def _check_limits(image: Image.Image, source_format: str, max_pixels: int) -> None:
    width, height = image.size
    with contextlib.suppress(OSError, SyntaxError, ValueError, KeyError, TypeError, struct.error):
        if image.getexif().get(_ORIENTATION) in _TURNED:  # shown turned a quarter: as the teacher sees it
            width, height = height, width
    problem = limits.dimension_problem(width, height, max_pixels=max_pixels)
    if problem:
        raise ImageRejected(problem)
    if source_format in limits.ANIMATED_FORMATS:
        try:
            frames = getattr(image, "n_frames", 1) if getattr(image, "is_animated", False) else 1
        except _DECODE_ERRORS as error:
            raise ImageRejected(DAMAGED) from error
        if frames > 1:
            raise ImageRejected(limits.animated(source_format, frames))


def _clean(image: Image.Image) -> Image.Image:
    """Upright, at most MAX_LONG_SIDE, RGB in sRGB, with no metadata left in ``info``."""
    icc_profile = image.info.get("icc_profile")
    # Unreadable EXIF is no reason to refuse a photo: keep the pixels as stored (the teacher
    # sees the result before anything is published).
    with contextlib.suppress(OSError, SyntaxError, ValueError, KeyError, TypeError, struct.error):
        ImageOps.exif_transpose(image, in_place=True)

    if max(image.size) > MAX_LONG_SIDE:
        image = image.resize(_fit(image.size, MAX_LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    image = _flatten(_to_8_bit(image))
    image = _to_srgb(image, icc_profile)
    image.info.clear()
    return image


def _to_8_bit(image: Image.Image) -> Image.Image:
    # Pillow clips 16-bit greys when converting to RGB (white for anything over 255): rescale.
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image


def _flatten(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        return image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    if icc_profile:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            if image.mode != "RGB":  # CMYK or grey with their own profile
                return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
            if "srgb" not in ImageCms.getProfileDescription(profile).lower():  # sRGB to sRGB would only cost time
                # In place: ~30 % faster on 12 MP than making a converted copy.
                ImageCms.applyTransform(image, ImageCms.buildTransform(profile, _SRGB, "RGB", "RGB"), inPlace=True)
            return image
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A broken or mismatched profile (a grey profile on a colour image): keep the numbers.
            pass
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode_within(image: Image.Image, max_bytes: int) -> tuple[bytes, Image.Image]:
    """JPEG no bigger than max_bytes: lower the quality step by step, then shrink the picture.

    A photo that fits at the first step is compressed once. One that does not is rarely
    compressed whole at that step: see ``_try_quality``.
    """
    for _attempt in range(12):
        sample = _row_sample(image)
        for quality in QUALITY_STEPS:
            encoded, size = _try_quality(image, quality, max_bytes, sample)
            if encoded is not None:
                return encoded, image
        # Bytes grow roughly with the pixel count, so shrink both sides by the square root.
        scale = max(0.5, min(0.9, (max_bytes / size) ** 0.5 * 0.95))
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS
        )
    raise ImageRejected("We could not make this photo small enough to publish. Try a different photo.")


def _try_quality(
    image: Image.Image, quality: int, max_bytes: int, sample: Image.Image | None
) -> tuple[bytes | None, int]:
    """The JPEG at ``quality`` if it fits in max_bytes (else None), and its size, known or estimated.

    With a sample of the picture's rows, a step the sample puts well over the limit is skipped
    without compressing the whole picture, and a step that is tried stops compressing as soon as
    it passes the limit. A short picture is cheap enough to compress whole.
    """
    if sample is None:
        encoded = _jpeg(image, quality)
        return (encoded if len(encoded) <= max_bytes else None), len(encoded)
    estimate = round(len(_jpeg(sample, quality)) * image.height / sample.height)
    if estimate > max_bytes * SURELY_OVER:
        return None, estimate
    try:
        return _jpeg(image, quality, max_bytes=max_bytes), estimate
    except _OverLimit:
        return None, max(estimate, max_bytes + 1)


def _row_sample(image: Image.Image) -> Image.Image | None:
    """Bands of rows spread evenly down a tall picture, stacked; None for a short one.

    Baseline JPEG codes each 8×8 block alone with fixed tables, so a sample's bytes per row
    predict the whole picture's.
    """
    if image.height < SAMPLE_FROM_ROWS:
        return None
    sample = Image.new(image.mode, (image.width, SAMPLE_BANDS * SAMPLE_BAND_ROWS))
    spacing = image.height // SAMPLE_BANDS
    for band in range(SAMPLE_BANDS):
        top = (band * spacing + spacing // 2) // SAMPLE_BAND_ROWS * SAMPLE_BAND_ROWS
        rows = image.crop((0, top, image.width, top + SAMPLE_BAND_ROWS))
        sample.paste(rows, (0, band * SAMPLE_BAND_ROWS))
    return sample


def _thumbnail(image: Image.Image) -> bytes:
    longest = max(THUMBNAIL_SIZE)
    size = _fit(image.size, longest) if max(image.size) > longest else image.size
    # resize() leaves ``image`` alone (face detection may still be reading it).
    return _jpeg(image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0), THUMBNAIL_QUALITY)


class _OverLimit(Exception):
    """Raised from the JPEG encoder's writes once a byte limit is passed, to stop it there."""


class _CappedBuffer(io.BytesIO):
    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def write(self, data) -> int:
        if self.tell() + len(data) > self.limit:
            raise _OverLimit
        return super().write(data)


def _jpeg(image: Image.Image, quality: int, *, max_bytes: int | None = None) -> bytes:
    """The picture as a JPEG; with ``max_bytes``, raise _OverLimit as soon as it would pass that."""
    # Only pixels go in: Pillow copies some metadata (the JPEG comment) from ``info`` on save.
    image.info.clear()
    buffer = io.BytesIO() if max_bytes is None else _CappedBuffer(max_bytes)
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    scale = longest / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _pixels_from_message(message: str) -> int | None:
    match = re.search(r"\((\d+) pixels\)", message)
    return int(match.group(1)) if match else None
