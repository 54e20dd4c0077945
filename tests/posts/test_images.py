"""The image pipeline, with every picture made on the fly (nothing is downloaded)."""

import io
import math
import struct
import threading
import time
import zipfile
import zlib

import numpy as np
import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFilter

from posts import faces, images
from posts.images import ImageRejected, prepare_image, redact

ORIENTATION = 0x0112
RED, BLUE, GREY = (220, 30, 30), (30, 30, 220), (128, 128, 128)


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def halves(size=(400, 300), left=RED, right=BLUE) -> Image.Image:
    """Left half one colour, right half another: shows which way a picture was turned."""
    image = Image.new("RGB", size, left)
    ImageDraw.Draw(image).rectangle((size[0] // 2, 0, size[0], size[1]), fill=right)
    return image


def photo_like(width: int, height: int, *, noise: float = 8.0, seed: int = 1) -> Image.Image:
    """Smooth colour fields plus sensor-like noise: compresses like a photo, not like a drawing."""
    rng = np.random.default_rng(seed)
    fields = Image.fromarray(rng.integers(0, 256, (max(2, height // 64), max(2, width // 64), 3), dtype=np.uint8))
    base = np.asarray(fields.resize((width, height), Image.Resampling.BILINEAR), dtype=np.int16)
    tile = rng.normal(0, noise, (min(height, 512), min(width, 512), 3)).astype(np.int16)
    grain = np.tile(tile, (-(-height // tile.shape[0]), -(-width // tile.shape[1]), 1))[:height, :width]
    return Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8))


def draw_face(image: Image.Image, centre: tuple[int, int], size: int) -> None:
    """A flat cartoon face. The real detector (MTCNN) finds it; tests/posts/test_faces.py has real photos."""
    draw = ImageDraw.Draw(image)
    cx, cy, s = centre[0], centre[1], size
    skin = (225, 185, 160)
    draw.ellipse((cx - 0.5 * s, cy - 0.75 * s, cx + 0.5 * s, cy - 0.3 * s), fill=(60, 40, 30))
    draw.ellipse((cx - 0.45 * s, cy - 0.45 * s, cx + 0.45 * s, cy + 0.6 * s), fill=skin)
    for dx in (-0.2 * s, 0.2 * s):
        draw.ellipse((cx + dx - 0.09 * s, cy - 0.12 * s, cx + dx + 0.09 * s, cy - 0.02 * s), fill=(40, 30, 30))
        draw.rectangle((cx + dx - 0.13 * s, cy - 0.22 * s, cx + dx + 0.13 * s, cy - 0.18 * s), fill=(70, 50, 40))
    draw.polygon(
        [(cx, cy - 0.05 * s), (cx - 0.06 * s, cy + 0.15 * s), (cx + 0.06 * s, cy + 0.15 * s)], fill=(200, 150, 130)
    )
    draw.ellipse((cx - 0.17 * s, cy + 0.27 * s, cx + 0.17 * s, cy + 0.35 * s), fill=(150, 60, 60))


def face_picture(size: tuple[int, int], centre: tuple[int, int], face_size: int) -> Image.Image:
    image = Image.new("RGB", size, (200, 200, 200))
    draw_face(image, centre, face_size)
    return image.filter(ImageFilter.GaussianBlur(face_size / 60))


def jpeg_segments(jpeg: bytes) -> list[int]:
    """The marker bytes of every segment before the image data (APP0, APP1, COM, DQT...)."""
    assert jpeg[:2] == b"\xff\xd8"
    markers, position = [], 2
    while True:
        marker = jpeg[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: compressed pixels follow
            return markers
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        position += 2 + length


def close_to(pixel, colour, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and header claiming a size, with a few bytes of image data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def red_blue_swapped_profile() -> bytes:
    """sRGB with its red and blue primaries exchanged: converting it to sRGB turns red into blue."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", profile[128:132])
    tags = {bytes(profile[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = tags[b"rXYZ"], tags[b"bXYZ"]
    profile[red + 4 : red + 12], profile[blue + 4 : blue + 12] = (
        profile[blue + 4 : blue + 12],
        profile[red + 4 : red + 12],
    )
    return bytes(profile).replace("sRGB".encode("utf-16-be"), "swap".encode("utf-16-be"))


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Orientation and metadata


def test_exif_orientation_6_is_applied_and_the_tag_removed():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "rotate 90° clockwise to display": the stored left side is the top
    result = prepare_image(encode(halves(), exif=exif))

    assert (result.width, result.height) == (300, 400)
    picture = opened(result.jpeg)
    assert picture.size == (300, 400)
    assert close_to(picture.getpixel((150, 40)), RED)
    assert close_to(picture.getpixel((150, 360)), BLUE)
    assert len(picture.getexif()) == 0


def test_gps_exif_xmp_comment_and_colour_profile_are_all_removed():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 40.0),
        ExifTags.GPS.GPSProcessingMethod: b"ASCII\x00\x00\x00GPS",
    }
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>51,30.2N</exif:GPSLatitude></x:xmpmeta>'
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encode(halves(), exif=exif, xmp=xmp, comment=b"Alpha Primary sports day", icc_profile=srgb)
    assert b"GPS" in upload and b"Alpha Primary" in upload  # the check below can fail

    result = prepare_image(upload)

    assert len(opened(result.jpeg).getexif()) == 0
    for metadata in (b"GPS", b"Exif", b"xmpmeta", b"Alpha Primary", b"ICC_PROFILE", b"Apple"):
        assert metadata not in result.jpeg
        assert metadata not in result.thumbnail
    # Only JFIF (APP0), quantisation and Huffman tables, frame and scan headers: no APP1
    # (EXIF/XMP), APP2 (ICC), APP13 (Photoshop/IPTC) or COM segments.
    assert set(jpeg_segments(result.jpeg)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
    assert "icc_profile" not in opened(result.jpeg).info


def test_colours_are_converted_to_srgb_when_the_photo_has_a_profile():
    upload = encode(Image.new("RGB", (128, 128), RED), icc_profile=red_blue_swapped_profile())
    assert close_to(opened(upload).getpixel((64, 64)), RED, tolerance=4)  # the stored numbers are "red"

    result = prepare_image(upload)

    assert close_to(opened(result.jpeg).getpixel((64, 64)), BLUE, tolerance=6)
    assert "icc_profile" not in opened(result.jpeg).info


def test_a_png_with_transparency_becomes_an_rgb_jpeg_on_white():
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((100, 0, 200, 100), fill=(*BLUE, 255))
    result = prepare_image(encode(image, "PNG"))

    picture = opened(result.jpeg)
    assert (picture.format, picture.mode, result.source_format) == ("JPEG", "RGB", "PNG")
    assert close_to(picture.getpixel((40, 50)), (255, 255, 255))
    assert close_to(picture.getpixel((160, 50)), BLUE)


def test_an_animated_gif_is_refused_rather_than_cut_to_its_first_frame():
    frames = [Image.new("RGB", (240, 160), colour) for colour in (RED, BLUE, GREY)]
    upload = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(upload)).n_frames == 3

    with pytest.raises(ImageRejected, match=r"^This is a moving GIF \(3 frames\)"):
        prepare_image(upload)


def test_webp_is_accepted():
    result = prepare_image(encode(halves(), "WEBP", quality=90))
    assert (result.source_format, result.width, result.height) == ("WEBP", 400, 300)
    assert close_to(opened(result.jpeg).getpixel((50, 150)), RED, tolerance=20)


def test_heic_from_an_ipad_is_accepted():
    pillow_heif.register_heif_opener()
    upload = encode(halves((320, 240)), "HEIF", quality=90)
    assert upload[4:12] == b"ftypheic"

    result = prepare_image(upload)

    assert (result.source_format, result.width, result.height) == ("HEIF", 320, 240)
    assert close_to(opened(result.jpeg).getpixel((40, 120)), RED, tolerance=25)
    assert opened(result.jpeg).format == "JPEG"


@pytest.mark.parametrize("mode, fmt", [("CMYK", "JPEG"), ("L", "JPEG"), ("P", "PNG"), ("1", "PNG"), ("LA", "PNG")])
def test_every_colour_mode_comes_out_as_rgb(mode, fmt):
    result = prepare_image(encode(halves().convert(mode), fmt))
    picture = opened(result.jpeg)
    assert (picture.mode, picture.size) == ("RGB", (400, 300))


def test_a_16_bit_grey_png_keeps_its_tones():
    image = Image.new("I;16", (128, 128), 32768)  # middle grey on a 0-65535 scale
    result = prepare_image(encode(image, "PNG"))
    assert close_to(opened(result.jpeg).getpixel((64, 64)), (128, 128, 128), tolerance=3)


def test_the_thumbnail_is_a_jpeg_that_fits_480_square():
    result = prepare_image(encode(halves((2000, 1000))))
    thumbnail = opened(result.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (480, 240)


# Refusals


@pytest.mark.parametrize(
    "upload, looks_like",
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "a PDF"),
        (b"Dear parents, the trip to the farm is on Friday.\n", "a text file"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "an SVG drawing or other XML file"),
        (b"\x00\x00\x00\x18ftypqt  \x00\x00\x02\x00qt  \x00\x00\x00\x08wide", "a video"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "an AVIF picture"),
    ],
)
def test_files_that_are_not_photos_are_refused_by_what_they_are(upload, looks_like):
    with pytest.raises(ImageRejected) as refused:
        prepare_image(upload)
    assert refused.value.message == (
        f"This file is not a photo we can use (it looks like {looks_like}). "
        "Use a JPEG, PNG, HEIC, WebP or GIF photo that does not move."
    )


def test_a_zip_named_like_a_photo_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("IMG_0001.jpg", encode(halves()))
    with pytest.raises(ImageRejected, match=r"it looks like a ZIP file or an Office document"):
        prepare_image(archive.getvalue())


def test_a_bmp_is_refused_even_though_pillow_could_read_it():
    with pytest.raises(ImageRejected, match=r"it looks like a BMP picture"):
        prepare_image(encode(halves(), "BMP"))


def test_a_png_with_jpeg_magic_bytes_is_refused_as_damaged():
    forged = b"\xff\xd8\xff\xe0" + encode(halves(), "PNG")
    with pytest.raises(ImageRejected, match=r"damaged or was only partly uploaded"):
        prepare_image(forged)


def test_a_truncated_jpeg_is_refused():
    whole = encode(photo_like(640, 480))
    with pytest.raises(ImageRejected, match=r"damaged or was only partly uploaded"):
        prepare_image(whole[: len(whole) // 2])


def test_an_empty_file_is_refused():
    with pytest.raises(ImageRejected, match=r"This file is empty"):
        prepare_image(b"")


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read():
    upload = b"\xff\xd8\xff\xe0" + bytes(50_000_000)
    with pytest.raises(ImageRejected) as refused:
        prepare_image(upload)
    assert refused.value.message.startswith("This photo is 50 MB; photos can be up to 30 MB.")


def test_the_size_limit_is_an_argument():
    upload = encode(photo_like(300, 200))
    with pytest.raises(ImageRejected, match=rf"This photo is {len(upload) / 1e6} MB; photos can be up to "):
        prepare_image(upload, max_upload_bytes=len(upload) - 1)
    assert prepare_image(upload, max_upload_bytes=len(upload)).width == 300


@pytest.mark.parametrize(
    "width, height, megapixels",
    [
        (8_000, 7_500, 60),  # under Pillow's own limit: refused by ours
        (10_000, 10_000, 100),  # over Pillow's DecompressionBombWarning, which is left to our check
        (20_000, 20_000, 400),  # Pillow's DecompressionBombError
    ],
)
def test_a_huge_image_is_refused_from_its_header_without_decoding(width, height, megapixels):
    # The image data is a few bytes: had the pixels been decoded, the refusal would say "damaged".
    with pytest.raises(ImageRejected) as refused:
        prepare_image(png_header_only(width, height))
    expected = f"This photo is {megapixels} megapixels; photos can be up to 50 megapixels."
    assert refused.value.message.startswith(expected)


# Size limits


def test_a_large_noisy_photo_is_shrunk_to_4096_and_under_5_mb():
    upload = encode(photo_like(6000, 4000, noise=40), quality=95)
    assert len(upload) > images.MAX_JPEG_BYTES

    result = prepare_image(upload)

    assert max(result.width, result.height) <= 4096
    assert len(result.jpeg) <= 5_000_000
    assert opened(result.jpeg).size == (result.width, result.height)
    assert result.width / result.height == pytest.approx(1.5, abs=0.01)


def test_quality_then_size_steps_down_until_the_jpeg_fits():
    upload = encode(photo_like(1200, 800, noise=30), quality=95)
    full = prepare_image(upload)

    squeezed = prepare_image(upload, max_jpeg_bytes=len(full.jpeg) // 4)

    assert len(squeezed.jpeg) <= len(full.jpeg) // 4
    assert squeezed.width < full.width
    assert opened(squeezed.jpeg).size == (squeezed.width, squeezed.height)


def full_size_encodes(monkeypatch, size: tuple[int, int]) -> list[int]:
    """The quality of every JPEG compression of the whole picture (not samples or thumbnails)."""
    qualities = []
    original = images._jpeg

    def recording(image, quality, **options):
        if image.size == size:
            qualities.append(quality)
        return original(image, quality, **options)

    monkeypatch.setattr(images, "_jpeg", recording)
    return qualities


def test_a_common_photo_is_compressed_once_at_quality_85(monkeypatch):
    upload = encode(photo_like(4032, 3024), quality=90)
    qualities = full_size_encodes(monkeypatch, (4032, 3024))

    result = prepare_image(upload)

    assert qualities == [85]
    assert result.jpeg == encode(opened(upload), quality=85)


def test_a_photo_over_5_mb_at_quality_85_is_compressed_once_at_75_and_fits(monkeypatch):
    upload = encode(photo_like(4032, 3024, noise=30), quality=95)
    pixels = opened(upload)
    assert len(encode(pixels, quality=85)) > 5_000_000 >= len(encode(pixels, quality=75))
    qualities = full_size_encodes(monkeypatch, (4032, 3024))

    result = prepare_image(upload)

    assert qualities == [75]  # the sample of rows said 85 would not fit
    assert (result.width, result.height) == (4032, 3024)
    assert result.jpeg == encode(pixels, quality=75)


def test_a_step_tried_in_vain_is_abandoned_and_the_next_one_used(monkeypatch):
    monkeypatch.setattr(images, "SURELY_OVER", 10.0)  # as if the sample had said 85 might fit
    upload = encode(photo_like(4032, 3024, noise=30), quality=95)
    qualities = full_size_encodes(monkeypatch, (4032, 3024))

    result = prepare_image(upload)

    assert qualities == [85, 75]
    assert len(result.jpeg) <= 5_000_000
    assert result.jpeg == encode(opened(upload), quality=75)


def test_compression_stops_as_soon_as_it_passes_the_limit():
    with pytest.raises(images._OverLimit):
        images._jpeg(photo_like(2000, 1500, noise=30), 85, max_bytes=100_000)


def test_a_photo_within_limits_keeps_its_size():
    result = prepare_image(encode(photo_like(1600, 1200)))
    assert (result.width, result.height) == (1600, 1200)


# Faces


def test_faces_are_mapped_from_the_detection_copy_to_the_prepared_image(monkeypatch):
    seen = []

    def fake_detector(rgb):
        seen.append(rgb.shape)
        return [(100, 50, 40, 40), (2020, 1340, 40, 40)]  # the second runs off the bottom-right

    monkeypatch.setattr(faces, "_detect_raw", fake_detector)
    result = prepare_image(encode(photo_like(6000, 4000, noise=2)))

    assert seen == [(1366, 2048, 3)]  # detection ran on a colour copy of half the prepared size
    assert (result.width, result.height) == (4096, 2731)
    sx, sy = 4096 / 2048, 2731 / 1366
    assert result.faces[0] == (
        int(100 * sx),
        int(50 * sy),
        math.ceil(140 * sx) - int(100 * sx),
        math.ceil(90 * sy) - int(50 * sy),
    )
    x, y, w, h = result.faces[1]
    assert (x, y) == (int(2020 * sx), int(1340 * sy)) and x + w == 4096 and y + h == 2731


@pytest.mark.parametrize(
    "size, copy",
    [
        ((4096, 3072), (2048, 1536)),
        ((4032, 3024), (2016, 1512)),
        ((3000, 2000), (3000, 2000)),
        ((900, 1200), (900, 1200)),
    ],
)
def test_faces_are_looked_for_on_a_whole_fraction_of_the_picture(size, copy):
    assert faces.detection_copy(Image.new("RGB", size)).size == copy


def test_uploads_at_the_same_time_take_turns_at_face_detection_with_one_set_of_networks(monkeypatch):
    """Memory for the networks once per process, however many threads serve requests."""
    running, most_at_once, networks = [0], [0], []
    real_stage_one = faces._stage_one

    def stage_one(pnets, *args):
        running[0] += 1
        most_at_once[0] = max(most_at_once[0], running[0])
        networks.append(pnets)
        time.sleep(0.05)  # long enough for the other uploads to arrive
        try:
            return real_stage_one(pnets, *args)
        finally:
            running[0] -= 1

    monkeypatch.setattr(faces, "_stage_one", stage_one)
    upload = encode(photo_like(800, 600))
    uploads = [threading.Thread(target=prepare_image, args=(upload,)) for _ in range(3)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join()

    assert len(networks) == 3 and most_at_once[0] == 1
    assert all(pnets[0] is networks[0][0] and pnets[1] is networks[0][1] for pnets in networks)


def test_face_boxes_follow_the_picture_when_it_is_shrunk_to_fit_the_byte_limit(monkeypatch):
    monkeypatch.setattr(faces, "_detect_raw", lambda rgb: [(200, 100, 100, 100)])
    upload = encode(photo_like(1000, 800, noise=30), quality=95)

    result = prepare_image(upload, max_jpeg_bytes=60_000)

    assert result.width < 1000
    scale = result.width / 1000
    assert result.faces[0][0] == pytest.approx(200 * scale, abs=1)
    assert result.faces[0][2] == pytest.approx(100 * scale, abs=2)


def test_the_real_detector_finds_a_drawn_face_in_a_big_photo():
    picture = face_picture((6000, 4000), centre=(4200, 1500), face_size=700)
    result = prepare_image(encode(picture, quality=90))

    assert len(result.faces) == 1
    x, y, w, h = result.faces[0]
    centre = (4200 * result.width / 6000, 1500 * result.height / 4000)
    assert x < centre[0] < x + w and y < centre[1] < y + h
    assert 0.5 * 700 * result.width / 6000 < w < 2 * 700 * result.width / 6000


def test_faces_are_found_on_the_upright_picture():
    upright = face_picture((900, 1200), centre=(450, 500), face_size=250)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    stored_sideways = upright.transpose(Image.Transpose.ROTATE_90)  # what an iPad held on its side stores

    result = prepare_image(encode(stored_sideways, exif=exif))

    assert (result.width, result.height) == (900, 1200)
    assert len(result.faces) == 1
    x, y, w, h = result.faces[0]
    assert x < 450 < x + w and y < 500 < y + h


def test_a_picture_without_faces_has_none():
    assert prepare_image(encode(photo_like(1600, 1200, noise=4))).faces == []


def test_face_boxes_stay_inside_the_picture():
    assert faces.scale_boxes([(-5, -5, 20, 20), (90, 90, 30, 30), (200, 200, 5, 5)], (100, 100), (1000, 1000)) == [
        (0, 0, 150, 150),
        (900, 900, 100, 100),
    ]


# Redaction


def test_redaction_leaves_a_solid_block_over_the_whole_box():
    prepared = prepare_image(encode(photo_like(800, 600, noise=20)))
    box = (300, 200, 120, 160)

    redacted = opened(redact(prepared.jpeg, [box]))

    x, y, w, h = box
    for point in [
        (x + 2, y + 2),
        (x + w - 3, y + 2),
        (x + 2, y + h - 3),
        (x + w - 3, y + h - 3),
        (x + w // 2, y + h // 2),
    ]:
        assert close_to(redacted.getpixel(point), images.REDACTION_COLOUR, tolerance=6), point
    inside = np.asarray(redacted.crop((x, y, x + w, y + h)), dtype=np.int16)
    assert inside.std() < 3  # flat: nothing of the face survives, unlike a blur
    assert close_to(redacted.getpixel((x - 10, y + h // 2)), images.REDACTION_COLOUR, tolerance=6)  # padding
    original = opened(prepared.jpeg)
    assert close_to(redacted.getpixel((50, 50)), original.getpixel((50, 50)), tolerance=20)


def test_redaction_covers_a_face_cut_off_by_the_edge_of_the_picture():
    prepared = prepare_image(encode(photo_like(400, 300, noise=20)))

    redacted = opened(redact(prepared.jpeg, [(0, 0, 60, 60), (360, 250, 60, 60)]))

    for corner in [(0, 0), (59, 0), (0, 59), (399, 299), (361, 299), (399, 251)]:
        assert close_to(redacted.getpixel(corner), images.REDACTION_COLOUR, tolerance=8), corner


def test_redaction_output_has_no_metadata_and_keeps_the_size():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    source = encode(halves(), exif=exif, comment=b"class photo")

    redacted = redact(source, [(10, 10, 50, 50), (380, 280, 40, 40)])

    assert opened(redacted).size == (400, 300)
    assert set(jpeg_segments(redacted)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
    assert b"Apple" not in redacted and b"class photo" not in redacted


def test_redaction_refuses_a_box_with_no_size():
    with pytest.raises(ValueError, match="positive size"):
        redact(encode(halves()), [(10, 10, 0, 20)])
