"""What a photo upload may be, each limit at and either side of its figure, with the exact message;
animations; and the private original, kept without position, serial numbers or names.

Pictures are made on the fly. A refusal that needs only the header uses a PNG that claims its size
and carries a few bytes of pixels: had it been decoded, it would be refused as damaged instead.
"""

import io
import struct
import zlib

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from posts import faces, services, upload_limits
from posts.images import DAMAGED, ImageRejected, prepare_image
from posts.metadata import clean_original

ORIENTATION, MAKE, MODEL, ARTIST, COPYRIGHT = 0x0112, 0x010F, 0x0110, 0x013B, 0x8298
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
SERIAL, OWNER, LENS_SERIAL, DATE_TAKEN, MAKER_NOTE = 0xA431, 0xA430, 0xA435, 0x9003, 0x927C
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmpMM:DocumentID="xmp.did:SECRET-DOC-ID"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def no_faces(monkeypatch):
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [])


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def camera_exif(orientation: int = 6) -> Image.Exif:
    """What an iPad or a phone writes: position, serial numbers, owner, maker notes, and the rest."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE], exif[MODEL] = "Apple", "iPad (10th generation)"
    exif[ARTIST], exif[COPYRIGHT] = "Mrs Jane Example", "Jane Example"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    exif.get_ifd(EXIF_IFD).update(
        {
            SERIAL: "DMPXK1234567",
            OWNER: "Jane Example",
            LENS_SERIAL: "LENS998877",
            DATE_TAKEN: "2026:11:20 10:15:00",
            MAKER_NOTE: b"Apple iOS\x00\x00\x01MM private maker data",
        }
    )
    return exif


def stripes(size=(320, 240)) -> Image.Image:
    """Colour changes across and down: shows the pixels came through unchanged and which way up."""
    image = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), image.rotate(90).resize(size)))


def refusal(data: bytes) -> str:
    with pytest.raises(ImageRejected) as refused:
        prepare_image(data)
    return refused.value.message


def passes_the_size_checks(data: bytes) -> bool:
    """Header-only pictures that pass every limit are refused only once their pixels are read."""
    return refusal(data) == DAMAGED


# Smallest side: 100 pixels


def test_a_photo_exactly_100_pixels_on_each_side_is_accepted():
    result = prepare_image(encode(Image.new("RGB", (100, 100), "teal")))
    assert (result.width, result.height) == (100, 100)


@pytest.mark.parametrize("size", [(99, 100), (100, 99)])
def test_a_photo_one_pixel_under_100_on_either_side_is_refused(size):
    width, height = size
    assert refusal(encode(Image.new("RGB", size, "teal"))) == (
        f"This image is {width} × {height} pixels; photos need to be at least 100 pixels wide and tall. "
        "Choose the original photo rather than an icon or a thumbnail."
    )


def test_a_1_by_1_pixel_image_is_refused():
    assert refusal(encode(Image.new("RGB", (1, 1), "white"), "PNG")).startswith(
        "This image is 1 × 1 pixels; photos need to be at least 100 pixels wide and tall."
    )


def test_a_20000_by_1_pixel_strip_is_refused_by_its_size():
    assert refusal(png_header_only(20_000, 1)).startswith(
        "This image is 20,000 × 1 pixels; photos need to be at least 100 pixels wide and tall."
    )


# Longest side: 12,000 pixels


def test_12000_pixels_on_the_longest_side_passes_and_12001_is_refused():
    assert passes_the_size_checks(png_header_only(12_000, 4_000))
    assert refusal(png_header_only(12_001, 4_001)) == (
        "This image is 12,001 × 4,001 pixels; photos can be up to 12,000 pixels on their longest side. "
        "Share a smaller copy of it."
    )


def test_a_photo_at_the_longest_side_is_prepared_at_4096():
    result = prepare_image(encode(Image.new("RGB", (12_000, 4_000), "teal"), quality=50))
    assert (result.width, result.height) == (4096, 1365)


# Aspect ratio: 3 to 1 either way


def test_a_picture_three_times_as_wide_as_tall_is_accepted_and_one_pixel_wider_is_refused():
    assert prepare_image(encode(Image.new("RGB", (600, 200), "teal"))).width == 600
    assert prepare_image(encode(Image.new("RGB", (599, 200), "teal"))).width == 599
    assert refusal(encode(Image.new("RGB", (601, 200), "teal"))) == (
        "This image is 601 × 200 pixels, 3.005 times as wide as it is tall; photos can be up to 3 times as "
        "wide as they are tall, because the networks show only the middle of a longer strip. Crop it first."
    )


def test_a_picture_three_times_as_tall_as_wide_is_accepted_and_one_pixel_taller_is_refused():
    assert prepare_image(encode(Image.new("RGB", (200, 600), "teal"))).height == 600
    assert refusal(encode(Image.new("RGB", (200, 601), "teal"))).startswith(
        "This image is 200 × 601 pixels, 3.005 times as tall as it is wide; photos can be up to 3 times as "
        "tall as they are wide"
    )


def test_a_tall_panorama_is_refused_with_its_shape():
    assert refusal(png_header_only(2_500, 11_000)).startswith(
        "This image is 2,500 × 11,000 pixels, 4.4 times as tall as it is wide;"
    )


def test_the_size_in_a_message_is_the_photo_as_it_is_shown():
    """A camera stores a portrait photo on its side and says so in EXIF: the teacher saw it upright."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    stored_on_its_side = encode(Image.new("RGB", (800, 200), "teal"), exif=exif)
    assert refusal(stored_on_its_side).startswith("This image is 200 × 800 pixels, 4 times as tall as it is wide;")


# Megapixels: 50


def test_50_megapixels_exactly_passes_and_one_row_more_is_refused():
    assert passes_the_size_checks(png_header_only(8_000, 6_250))
    assert refusal(png_header_only(8_000, 6_251)) == (
        "This photo is 50.01 megapixels; photos can be up to 50 megapixels. "
        "Take it again with the iPad camera, or share a smaller copy."
    )


def test_a_50_4_megapixel_photo_is_refused_as_50_4_not_50():
    assert refusal(png_header_only(8_400, 6_000)).startswith(
        "This photo is 50.4 megapixels; photos can be up to 50 megapixels."
    )


def test_two_pixels_over_50_megapixels_are_shown_to_the_last_pixel():
    # 4,901 × 10,202 = 50,000,002 pixels (50,000,001 has no factors that make a photo's shape).
    assert refusal(png_header_only(4_901, 10_202)).startswith(
        "This photo is 50.000002 megapixels; photos can be up to 50 megapixels."
    )


# Bytes: 30 MB


def test_30_mb_passes_and_one_byte_more_is_refused():
    photo = encode(Image.new("RGB", (160, 120), "teal"))
    at_limit = photo + bytes(30_000_000 - len(photo))  # what follows the end of a JPEG is not read
    assert prepare_image(at_limit).width == 160
    assert refusal(at_limit + b"\x00") == (
        "This photo is 30.000001 MB; photos can be up to 30 MB. "
        "Take it again with the iPad camera, or share a smaller copy."
    )


# Formats and animations


def test_a_still_gif_is_accepted_and_kept_as_a_gif_without_its_comment():
    upload = encode(stripes().convert("P"), "GIF", comment=b"Taken by Jane Example")
    result = prepare_image(upload)
    assert (result.source_format, result.original_format, result.width) == ("GIF", "GIF", 320)
    assert b"Jane Example" not in result.original
    with Image.open(io.BytesIO(result.original)) as original, Image.open(io.BytesIO(upload)) as uploaded:
        assert original.convert("RGB").tobytes() == uploaded.convert("RGB").tobytes()


def animation(fmt: str, **params) -> bytes:
    frames = [Image.new("RGB", (240, 160), colour) for colour in ("red", "blue", "green", "white")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0, **params)


@pytest.mark.parametrize(
    "fmt, called",
    [("GIF", "a moving GIF"), ("PNG", "an animated PNG"), ("WEBP", "an animated WebP picture")],
)
def test_animations_are_refused_with_their_number_of_frames(fmt, called):
    assert refusal(animation(fmt)) == (
        f"This is {called} (4 frames), and posts can only have still photos. "
        "Use a JPEG, PNG, HEIC, WebP or GIF photo that does not move."
    )


def test_the_accepted_formats_named_in_refusals_are_the_ones_accepted():
    assert refusal(b"%PDF-1.7\n").endswith(upload_limits.ACCEPTED_TYPES_SENTENCE)
    pillow_heif.register_heif_opener()
    for fmt in ("JPEG", "PNG", "HEIF", "WEBP", "GIF"):
        assert prepare_image(encode(stripes().convert("RGB"), fmt)).source_format == fmt
        assert upload_limits.ACCEPTED_FORMATS[fmt] in upload_limits.ACCEPTED_TYPES_SENTENCE


# The original, cleaned on arrival


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


def assert_nothing_identifying(data: bytes) -> None:
    exif = exif_of(data)
    assert not exif.get_ifd(GPS_IFD)
    details = exif.get_ifd(EXIF_IFD)
    assert not {SERIAL, OWNER, LENS_SERIAL, MAKER_NOTE} & set(details)
    assert ARTIST not in exif and COPYRIGHT not in exif
    for secret in (b"DMPXK1234567", b"LENS998877", b"Jane Example", b"SECRET-DOC-ID", b"private maker data"):
        assert secret not in data


def test_a_jpeg_original_loses_position_serials_names_and_xmp_but_not_a_pixel_or_its_orientation():
    upload = encode(stripes(), exif=camera_exif(), xmp=XMP, comment=b"Jane Example's iPad", quality=92)

    result = prepare_image(upload)

    assert result.original_format == "JPEG" and result.original_lossless
    assert_nothing_identifying(result.original)
    kept = exif_of(result.original)
    assert (kept[ORIENTATION], kept[MAKE], kept[MODEL]) == (6, "Apple", "iPad (10th generation)")
    assert kept.get_ifd(EXIF_IFD)[DATE_TAKEN] == "2026:11:20 10:15:00"
    assert (result.camera_make, result.camera_model) == ("Apple", "iPad (10th generation)")
    with Image.open(io.BytesIO(result.original)) as original, Image.open(io.BytesIO(upload)) as uploaded:
        assert original.tobytes() == uploaded.tobytes()  # not decoded and compressed again


def test_a_progressive_jpeg_is_cleaned_without_being_compressed_again():
    upload = encode(stripes(), exif=camera_exif(), progressive=True, quality=90)
    cleaned = clean_original(upload, "JPEG")
    assert cleaned.lossless
    assert_nothing_identifying(cleaned.data)
    with Image.open(io.BytesIO(cleaned.data)) as original, Image.open(io.BytesIO(upload)) as uploaded:
        assert original.tobytes() == uploaded.tobytes()


def test_the_second_picture_of_a_multi_picture_jpeg_goes_with_its_own_exif():
    """Phones append further pictures (depth, HDR) after the first one ends, each with its own EXIF."""
    hidden = encode(Image.new("RGB", (100, 100)), exif=camera_exif())
    upload = encode(stripes(), exif=camera_exif()) + hidden
    cleaned = clean_original(upload, "JPEG")
    assert cleaned.data.endswith(b"\xff\xd9") and cleaned.data.count(b"\xff\xd8") == 1
    assert_nothing_identifying(cleaned.data)


def test_png_and_webp_originals_lose_what_identifies_and_keep_their_pixels():
    for fmt, params in (("PNG", {}), ("WEBP", {"lossless": True})):
        upload = encode(stripes(), fmt, exif=camera_exif(), xmp=XMP, **params)
        cleaned = clean_original(upload, fmt)
        assert (cleaned.format, cleaned.lossless) == (fmt, True)
        assert_nothing_identifying(cleaned.data)
        assert exif_of(cleaned.data)[ORIENTATION] == 6
        with Image.open(io.BytesIO(cleaned.data)) as original, Image.open(io.BytesIO(upload)) as uploaded:
            assert original.tobytes() == uploaded.tobytes()


def test_a_png_with_a_chunk_nobody_knows_is_written_again_from_its_pixels():
    upload = encode(stripes(), "PNG", exif=camera_exif())
    end_of_header = 8 + 12 + 13
    body = b"made up"
    strange = struct.pack(">I", len(body)) + b"ZZZZ" + body + struct.pack(">I", zlib.crc32(b"ZZZZ" + body))
    cleaned = clean_original(upload[:end_of_header] + strange + upload[end_of_header:], "PNG")
    assert (cleaned.format, cleaned.lossless) == ("PNG", False)
    assert_nothing_identifying(cleaned.data)
    assert exif_of(cleaned.data)[ORIENTATION] == 6


def test_a_heic_original_is_cleaned_in_place_and_still_opens_turned_the_same_way():
    pillow_heif.register_heif_opener()
    upload = encode(stripes((160, 120)), "HEIF", exif=camera_exif(), xmp=XMP, quality=60)

    result = prepare_image(upload)

    assert (result.original_format, result.original_lossless, len(result.original)) == ("HEIF", True, len(upload))
    assert_nothing_identifying(result.original)
    assert (result.camera_make, result.camera_model) == ("Apple", "iPad (10th generation)")
    with Image.open(io.BytesIO(result.original)) as original, Image.open(io.BytesIO(upload)) as uploaded:
        assert original.size == uploaded.size
        assert original.info["original_orientation"] == uploaded.info["original_orientation"] == 6
        assert original.tobytes() == uploaded.tobytes()


def test_the_stored_original_of_an_uploaded_photo_has_no_position_serial_or_owner(staff, make_post, media_root):
    pillow_heif.register_heif_opener()
    post = make_post()
    for fmt, extension in (("JPEG", ".jpg"), ("HEIF", ".heic")):
        upload = encode(stripes((160, 120)), fmt, exif=camera_exif(), xmp=XMP)

        image = services.post_add_image(actor=staff.teacher, post=post, data=upload)

        assert image.original.name.endswith(extension)
        with image.original.open("rb") as stored:
            original = stored.read()
        assert_nothing_identifying(original)
        assert exif_of(original)[MAKE] == "Apple"


# What the compose page says


def upload(client, post, data: bytes, name: str, **headers):
    photo = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse("post_image_upload", args=[post.pk]), {"photo": [photo]}, **headers)


def test_the_compose_page_lists_every_limit_with_its_figure(client_for, staff, accounts):
    body = client_for(staff.teacher).get(reverse("post_compose")).content.decode()
    assert (
        "Photos can be JPEG, PNG, HEIC, WebP or still GIF; at least 100 pixels on each side and at most 12,000 "
        "on the longest; up to 50 megapixels and 30 MB; no more than 3 times as wide as it is tall, "
        "or as tall as it is wide."
    ) in body


def test_a_refused_upload_says_why_beside_the_photo(client_for, staff, make_post, media_root):
    post = make_post()
    response = upload(client_for(staff.teacher), post, png_header_only(20_000, 1), "strip.png", **HTMX)
    assert response.status_code == 400
    body = response.content.decode()
    assert "strip.png" in body and "This image is 20,000 × 1 pixels; photos need to be at least 100 pixels" in body
    assert not post.images.exists()


def test_without_javascript_the_refusal_comes_back_on_the_compose_page(client_for, staff, make_post, media_root):
    teacher = client_for(staff.teacher)
    post = make_post()
    response = upload(teacher, post, animation("GIF"), "dancing.gif")
    body = teacher.get(response.url).content.decode()
    assert "dancing.gif: This is a moving GIF (4 frames), and posts can only have still photos." in body
    assert not post.images.exists()
