"""The private original, kept for 30 days, without what could identify a place, a person or a device.

``clean_original(data, source_format)`` rewrites the file's metadata from an allow-list rather than
deleting what is known to be dangerous: whatever a camera maker invents next is left behind too.
What stays is the orientation (the original must still show upright), the date it was taken and
the camera's make and model (not its serial number). Everything else goes: GPS position, serial
numbers of body and lens, owner and artist names, maker notes, XMP and IPTC (with their document
and instance identifiers), comments and text chunks, and the embedded thumbnails that carry EXIF
of their own (JPEG's IFD1 and the extra pictures of Apple's multi-picture JPEGs).

Pixels are never re-encoded when the container can be edited safely, which is every ordinary file:

- JPEG: the segments are copied (quantisation and Huffman tables, frame, scans), metadata segments
  are dropped, a new EXIF segment is written, and nothing after the first picture's end is kept;
- PNG: critical chunks and the colour chunks are copied, text, time and EXIF chunks are dropped;
- WebP: the image, alpha and ICC chunks are copied, EXIF and XMP dropped, the header's flags fixed;
- HEIC: EXIF and XMP are items at fixed places in the file, so they are overwritten where they are
  (same length, zero or space padding), and nothing else moves;
- GIF: Pillow writes the same palette pixels again, without comments or application blocks.

A file whose structure surprises these readers (each stops at the first thing it does not expect)
is re-encoded instead: JPEG at quality 95 (and HEIC and WebP become that JPEG), PNG losslessly.
``CleanOriginal.lossless`` says which happened.

Pillow cannot drop a JPEG's segments without decoding and encoding its pixels again, and the
libraries that edit EXIF in place (piexif, exif) are unmaintained or keep the maker notes; the
container formats are simple enough to walk here, and each result is opened again to be sure.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

ORIENTATION, MAKE, MODEL = 0x0112, 0x010F, 0x0110
EXIF_IFD = 0x8769
DATE_TAKEN, DATE_TAKEN_OFFSET = 0x9003, 0x9011
KEPT_TAGS = (ORIENTATION, MAKE, MODEL)
KEPT_EXIF_IFD_TAGS = (DATE_TAKEN, DATE_TAKEN_OFFSET)
RE_ENCODED_JPEG_QUALITY = 95
# The stored original's file name says what it is.
ORIGINAL_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "HEIF": ".heic", "WEBP": ".webp", "GIF": ".gif"}
_EXIF_PREFIX = b"Exif\x00\x00"
_EMPTY_XMP = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>'
_XMP_END = b'<?xpacket end="w"?>'


@dataclass(frozen=True)
class CleanOriginal:
    data: bytes
    format: str  # Pillow's name for what ``data`` is: usually the upload's own format
    camera_make: str = ""
    camera_model: str = ""
    lossless: bool = True


class _Unexpected(Exception):
    """The container is not laid out as the reader expects: re-encode instead of guessing."""


def clean_original(data: bytes, source_format: str) -> CleanOriginal:
    """The upload with its metadata rewritten from the allow-list; see the module's description."""
    exif = _read_exif(data, source_format)
    make, model = _text(exif.get(MAKE)), _text(exif.get(MODEL))
    kept = _allowed(exif)
    try:
        cleaned = _LOSSLESS[source_format](data, kept)
        _check_opens(cleaned, source_format, data)
        return CleanOriginal(cleaned, source_format, make, model, lossless=True)
    except (_Unexpected, struct.error, IndexError, OSError, ValueError, SyntaxError):
        cleaned_format, cleaned = _re_encode(data, source_format, kept)
        return CleanOriginal(cleaned, cleaned_format, make, model, lossless=False)


def camera_of(data: bytes, source_format: str) -> tuple[str, str]:
    """The make and model the file's EXIF names ("", "" when it has none)."""
    exif = _read_exif(data, source_format)
    return _text(exif.get(MAKE)), _text(exif.get(MODEL))


# Reading


def _read_exif(data: bytes, source_format: str) -> Image.Exif:
    exif = Image.Exif()
    try:
        if source_format == "HEIF":  # pillow-heif reports the orientation as already applied: read the item
            raw = next((item for item in _heif_metadata_items(data) if item.kind == "exif"), None)
            if raw is not None:
                payload = b"".join(data[start : start + length] for start, length in raw.extents)
                (skip,) = struct.unpack(">I", payload[:4])
                exif.load(payload[4 + skip :])
            return exif
        with Image.open(io.BytesIO(data), formats=[source_format]) as image:
            return image.getexif()
    except (_Unexpected, struct.error, IndexError, OSError, ValueError, SyntaxError, KeyError, TypeError):
        return Image.Exif()


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip()[:100] if value else ""


def _allowed(exif: Image.Exif) -> Image.Exif:
    kept = Image.Exif()
    for tag in KEPT_TAGS:
        if exif.get(tag) not in (None, ""):
            kept[tag] = exif[tag]
    try:
        details = exif.get_ifd(EXIF_IFD)
    except (KeyError, ValueError, TypeError, struct.error):
        details = {}
    dates = {tag: details[tag] for tag in KEPT_EXIF_IFD_TAGS if details.get(tag)}
    if dates:
        kept.get_ifd(EXIF_IFD).update(dates)
    return kept


def _tiff(kept: Image.Exif) -> bytes:
    """The allow-listed EXIF as a bare TIFF block (what PNG, WebP and HEIF hold); b"" if empty."""
    if not len(kept) and not kept.get_ifd(EXIF_IFD):
        return b""
    return kept.tobytes()[len(_EXIF_PREFIX) :]


# JPEG

_SOI, _EOI, _SOS = b"\xff\xd8", 0xD9, 0xDA
# Tables, frames, restart interval, line count: the picture itself.
_JPEG_STRUCTURE = {*range(0xC0, 0xD0), 0xDB, 0xDD, 0xDC}
_APP0, _APP2, _APP14 = 0xE0, 0xE2, 0xEE
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg(data: bytes, kept: Image.Exif) -> bytes:
    if not data.startswith(_SOI):
        raise _Unexpected("no start of image")
    tiff = _tiff(kept)
    exif_segment = _segment(0xE1, _EXIF_PREFIX + tiff) if tiff else b""
    out, position, exif_written = [_SOI], 2, False
    while True:
        if data[position] != 0xFF:
            raise _Unexpected(f"no marker at {position}")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == _EOI:
            out.append(b"\xff\xd9")  # and nothing after it: Apple's multi-picture JPEGs keep more there
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7:
            out.append(data[position : position + 2])
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise _Unexpected(f"segment {marker:#x} runs past the end")
        segment = data[position:end]
        body = segment[4:]
        if marker == _APP0 and body.startswith(b"JFIF\x00") and len(body) >= 14:
            kept_segment = _segment(_APP0, body[:12] + b"\x00\x00")  # without its thumbnail
        elif (
            marker in _JPEG_STRUCTURE
            or marker == _SOS
            or (marker == _APP2 and body.startswith(b"ICC_PROFILE\x00"))
            or (marker == _APP14 and body.startswith(b"Adobe"))  # how to read CMYK and YCCK
        ):
            kept_segment = segment
        else:
            kept_segment = b""  # EXIF, XMP, IPTC, maker segments, multi-picture index, comments
        if marker != _APP0 and not exif_written:
            out.append(exif_segment)
            exif_written = True
        out.append(kept_segment)
        position = end
        if marker == _SOS:
            scan_end = _end_of_scan(data, position)
            out.append(data[position:scan_end])
            position = scan_end


def _segment(marker: int, body: bytes) -> bytes:
    if len(body) + 2 > 0xFFFF:
        raise _Unexpected("segment too long")
    return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body


def _end_of_scan(data: bytes, position: int) -> int:
    """Where the compressed data after a start-of-scan ends: the next marker that is not a stuffed
    0xFF or a restart marker (fill bytes before it belong to the marker)."""
    found = _NEXT_MARKER.search(data, position)
    if found is None:
        raise _Unexpected("scan without an end")
    return found.start()


# PNG

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The picture and how to show its colours; text, time, EXIF and private chunks are left behind.
_PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP"}
_PNG_KEPT |= {b"mDCV", b"cLLI", b"bKGD", b"pHYs"}


def _png(data: bytes, kept: Image.Exif) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise _Unexpected("no PNG signature")
    tiff = _tiff(kept)
    out, position, exif_written = [_PNG_SIGNATURE], len(_PNG_SIGNATURE), not tiff
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data):
            raise _Unexpected("chunk runs past the end")
        if kind == b"IDAT" and not exif_written:
            out.append(_png_chunk(b"eXIf", tiff))
            exif_written = True
        if kind in _PNG_KEPT:
            out.append(data[position:end])
        elif not kind[0] & 0x20:  # an unknown critical chunk: the picture may depend on it
            raise _Unexpected(f"critical chunk {kind!r}")
        position = end
        if kind == b"IEND":
            return b"".join(out)
    raise _Unexpected("no IEND")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# WebP

_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _webp(data: bytes, kept: Image.Exif) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _Unexpected("not a RIFF WebP")
    (riff_size,) = struct.unpack("<I", data[4:8])
    end_of_file = min(len(data), 8 + riff_size)
    chunks, position = [], 12
    while position + 8 <= end_of_file:
        kind, length = struct.unpack("<4sI", data[position : position + 8])
        end = position + 8 + length + (length & 1)
        if position + 8 + length > end_of_file:
            raise _Unexpected("chunk runs past the end")
        chunks.append((kind, data[position:end]))
        position = end
    kinds = [kind for kind, _ in chunks]
    if b"VP8X" not in kinds:  # the simple format has nowhere to keep metadata
        if any(kind not in (b"VP8 ", b"VP8L") for kind in kinds):
            raise _Unexpected("metadata without an extended header")
        return data[:end_of_file]
    tiff = _tiff(kept)
    out = []
    for kind, chunk in chunks:
        if kind == b"VP8X":
            flags = (chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP)) | (_VP8X_EXIF if tiff else 0)
            out.append(chunk[:8] + bytes((flags,)) + chunk[9:])
        elif kind in (b"ICCP", b"ALPH", b"VP8 ", b"VP8L"):
            out.append(chunk)
        elif kind not in (b"EXIF", b"XMP "):
            raise _Unexpected(f"chunk {kind!r}")
    if tiff:
        out.append(b"EXIF" + struct.pack("<I", len(tiff)) + tiff + b"\x00" * (len(tiff) & 1))
    body = b"WEBP" + b"".join(out)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# HEIF


@dataclass(frozen=True)
class _HeifItem:
    kind: str  # "exif" or "xmp"
    extents: list[tuple[int, int]]  # (offset in the file, length)


def _heif(data: bytes, kept: Image.Exif) -> bytes:
    items = _heif_metadata_items(data)
    if not items:
        return data
    cleaned = bytearray(data)
    tiff = _tiff(kept)
    for item in items:
        room = sum(length for _, length in item.extents)
        if item.kind == "exif":
            replacement = struct.pack(">I", 0) + tiff  # no gap before the TIFF header
            padding = b"\x00"
        else:
            replacement = _EMPTY_XMP + b" " * max(0, room - len(_EMPTY_XMP) - len(_XMP_END)) + _XMP_END
            padding = b" "
        if len(replacement) > room:
            raise _Unexpected("no room for the EXIF that is kept")
        replacement += padding * (room - len(replacement))
        written = 0
        for start, length in item.extents:
            cleaned[start : start + length] = replacement[written : written + length]
            written += length
    return bytes(cleaned)


def _boxes(data: bytes, start: int, end: int):
    """(type, payload start, box end) of each ISO base media box in data[start:end]."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[position + 8 : position + 16])
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise _Unexpected(f"box {kind!r} runs past its parent")
        yield kind, position + header, position + size
        position += size


def _heif_metadata_items(data: bytes) -> list[_HeifItem]:
    meta = next(((start, end) for kind, start, end in _boxes(data, 0, len(data)) if kind == b"meta"), None)
    if meta is None:
        raise _Unexpected("no meta box")
    children = {kind: (start, end) for kind, start, end in _boxes(data, meta[0] + 4, meta[1])}
    if b"iinf" not in children or b"iloc" not in children:
        raise _Unexpected("no item information or locations")
    kinds = _heif_item_kinds(data, *children[b"iinf"])
    locations = _heif_item_locations(data, *children[b"iloc"], idat=children.get(b"idat"))
    for item_id in kinds:
        extents = locations.get(item_id)
        # A length of 0 would mean "to the end of the file": not where metadata is kept.
        if not extents or any(length == 0 or offset + length > len(data) for offset, length in extents):
            raise _Unexpected("a metadata item without a usable location")
    return [_HeifItem(kind, locations[item_id]) for item_id, kind in kinds.items()]


def _heif_item_kinds(data: bytes, start: int, end: int) -> dict[int, str]:
    version = data[start]
    first = start + 4 + (2 if version == 0 else 4)
    found = {}
    for kind, entry, entry_end in _boxes(data, first, end):
        if kind != b"infe":
            continue
        entry_version = data[entry]
        if entry_version < 2:
            raise _Unexpected("old item information entry")
        position = entry + 4
        if entry_version == 2:
            (item_id,) = struct.unpack(">H", data[position : position + 2])
            position += 2
        else:
            (item_id,) = struct.unpack(">I", data[position : position + 4])
            position += 4
        item_type = data[position + 2 : position + 6]
        if item_type == b"Exif":
            found[item_id] = "exif"
        elif item_type == b"mime":
            name_end = data.index(b"\x00", position + 6, entry_end)
            content_type_end = data.find(b"\x00", name_end + 1, entry_end)
            content_type = data[name_end + 1 : content_type_end if content_type_end >= 0 else entry_end]
            if content_type.strip().lower() == b"application/rdf+xml":
                found[item_id] = "xmp"
    return found


def _heif_item_locations(
    data: bytes, start: int, end: int, *, idat: tuple[int, int] | None
) -> dict[int, list[tuple[int, int]]]:
    version = data[start]
    position = start + 4
    offset_size, length_size = data[position] >> 4, data[position] & 0x0F
    base_offset_size, index_size = data[position + 1] >> 4, data[position + 1] & 0x0F
    position += 2
    if version < 2:
        (count,) = struct.unpack(">H", data[position : position + 2])
        position += 2
    else:
        (count,) = struct.unpack(">I", data[position : position + 4])
        position += 4

    def number(size: int) -> int:
        nonlocal position
        value = int.from_bytes(data[position : position + size], "big") if size else 0
        position += size
        return value

    if any(size not in (0, 4, 8) for size in (offset_size, length_size, base_offset_size, index_size)):
        raise _Unexpected("item locations with unusual field sizes")
    locations = {}
    for _ in range(count):
        item_id = number(4 if version == 2 else 2)
        # Versions 1 and 2: 12 reserved bits, then 4 bits of construction method.
        construction = number(2) & 0x0F if version in (1, 2) else 0
        data_reference = number(2)
        base = number(base_offset_size)
        extent_count = number(2)
        extents = []
        for _ in range(extent_count):
            if version in (1, 2) and index_size:
                number(index_size)
            offset, length = number(offset_size), number(length_size)
            extents.append((base + offset, length))
        if data_reference != 0 or construction not in (0, 1):
            locations[item_id] = None
            continue
        if construction == 1:
            if idat is None:
                raise _Unexpected("item in an idat box that is not there")
            extents = [(idat[0] + offset, length) for offset, length in extents]
        locations[item_id] = extents
    if position > end:
        raise _Unexpected("item locations run past their box")
    return {item_id: extents for item_id, extents in locations.items() if extents is not None}


# GIF


def _gif(data: bytes, kept: Image.Exif) -> bytes:
    """GIF has no EXIF; its comments and application blocks (XMP among them) are not written again."""
    with Image.open(io.BytesIO(data), formats=["GIF"]) as image:
        image.load()
        transparency = image.info.get("transparency")
        image.info.clear()
        buffer = io.BytesIO()
        image.save(buffer, "GIF", **({"transparency": transparency} if transparency is not None else {}))
    return buffer.getvalue()


_LOSSLESS = {"JPEG": _jpeg, "PNG": _png, "WEBP": _webp, "HEIF": _heif, "GIF": _gif}


def _check_opens(cleaned: bytes, source_format: str, original: bytes) -> None:
    with Image.open(io.BytesIO(original), formats=[source_format]) as before:
        size = before.size
    with Image.open(io.BytesIO(cleaned), formats=[source_format]) as after:
        if after.size != size:
            raise _Unexpected("the cleaned file does not open at the same size")


def _re_encode(data: bytes, source_format: str, kept: Image.Exif) -> tuple[str, bytes]:
    """The same picture from its pixels, with only the allow-listed EXIF and the colour profile."""
    with Image.open(io.BytesIO(data), formats=[source_format]) as image:
        image.load()
        icc_profile = image.info.get("icc_profile")
        if source_format == "HEIF":  # pillow-heif has turned it upright already
            kept[ORIENTATION] = 1
        keep_png = source_format in ("PNG", "GIF")
        picture = image if keep_png or image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
        picture.info.clear()
        buffer = io.BytesIO()
        options = {"exif": kept, **({"icc_profile": icc_profile} if icc_profile else {})}
        if keep_png:
            picture.save(buffer, "PNG", **options)
            return "PNG", buffer.getvalue()
        picture.save(buffer, "JPEG", quality=RE_ENCODED_JPEG_QUALITY, **options)
        return "JPEG", buffer.getvalue()
