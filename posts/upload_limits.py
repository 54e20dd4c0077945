"""What a photo upload may be: the one statement the checks, the messages and the compose page use.

The figures are chosen so that the JPEG the portal prepares from an accepted upload is accepted by
every network it publishes to (checked 2026-12):

- X: images up to 5 MB, at least 4 × 4 and at most 8192 × 8192 pixels, no aspect-ratio limit
  (docs.x.com/x-api/media, "Media types & size restrictions"; the dimensions are from X's
  former media best-practices page, repeated in docs.getlate.dev/resources/media-guidelines/twitter).
- Bluesky (issue 17): one image blob at most 1,000,000 bytes, up to 4 per post, an optional
  aspect ratio but no pixel limit (lexicon app.bsky.embed.images in bluesky-social/atproto);
  Bluesky's own app scales images to 2000 px. Its documented ratio limit, 1:3 to 3:1, is for video
  (ayrshare.com/docs/media-guidelines/bluesky). The adapter must ask ``prepare_image`` or
  ``redact`` for a copy under 1,000,000 bytes (both take ``max_jpeg_bytes``).
- Mastodon (issue 17): images up to 16 MB by default; larger than the server's
  ``image_matrix_limit`` (8,294,400 pixels on 4.2, 33,177,600 on mastodon.social) they are scaled
  down, not refused (docs.joinmastodon.org/user/posting/#media and the instance API).

So the prepared JPEG is at most ``PREPARED_LONG_SIDE`` pixels on its long side and
``PREPARED_MAX_BYTES`` bytes. The upload limits below are ours, not the networks':

- the shortest side of ``MIN_SIDE`` pixels: no network refuses less, but anything smaller is an
  icon or a tracking pixel and shows as a blur in every timeline;
- the aspect ratio ``MAX_ASPECT_RATIO``:1 either way: none of the three refuses a wider picture, but
  X and Mastodon crop the timeline preview of a long strip to its middle, so a panorama would be
  published as a thin slice; 3:1 is the widest range any of them documents (Bluesky's video);
- ``MAX_SIDE``, ``MAX_MEGAPIXELS`` and ``MAX_UPLOAD_BYTES`` bound the work one upload can cause
  (the iPad's camera makes 12 megapixel photos of 2–5 MB; a 48 MP iPhone photo is 8064 × 6048).

Animations are refused rather than flattened: a moving picture published as its first frame is a
different post from the one the author chose.
"""

from __future__ import annotations

from decimal import Decimal

# Pillow's names for the accepted formats, with the words and MIME types people and browsers use.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "HEIF": "HEIC", "WEBP": "WebP", "GIF": "GIF"}
ACCEPTED_MIME_TYPES = ("image/jpeg", "image/png", "image/heic", "image/heif", "image/webp", "image/gif")
ANIMATED_FORMATS = {"GIF": "a moving GIF", "PNG": "an animated PNG", "WEBP": "an animated WebP picture"}

MIN_SIDE = 100
MAX_SIDE = 12_000
MAX_MEGAPIXELS = 50
MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000
MAX_ASPECT_RATIO = 3
MAX_UPLOAD_BYTES = 30_000_000

PREPARED_LONG_SIDE = 4096
# X's 5 MB, counted in decimal megabytes so the JPEG fits however X counts them.
PREPARED_MAX_BYTES = 5_000_000

ACCEPTED_TYPES_SENTENCE = "Use a JPEG, PNG, HEIC, WebP or GIF photo that does not move."


def accepted_summary(*, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The compose page's help text: every limit an upload is checked against, in one sentence."""
    return (
        "JPEG, PNG, HEIC, WebP or still GIF; "
        f"at least {MIN_SIDE:,} pixels on each side and at most {MAX_SIDE:,} on the longest; "
        f"up to {MAX_MEGAPIXELS:,} megapixels and {plain_number(max_upload_bytes / 1_000_000)} MB; "
        f"no more than {MAX_ASPECT_RATIO} times as wide as it is tall, or as tall as it is wide."
    )


def beyond(value: float, limit: float) -> str:
    """``value`` written with as few decimals as show it is on the other side of ``limit``.

    Rounding must never make a refused figure read as the limit itself ("50 megapixels; photos can
    be up to 50 megapixels"): 50,400,000 pixels is "50.4", 50,000,001 is "50.000001".
    """
    exact, limit_exact = Decimal(repr(value)), Decimal(repr(limit))
    # At least as precise as the limit is written, so the two read alike.
    for places in range(max(1, -limit_exact.normalize().as_tuple().exponent), 12):
        shown = round(exact, places)
        if shown != limit_exact and (shown > limit_exact) == (exact > limit_exact):
            return plain_number(shown)
    return plain_number(exact)


def plain_number(number) -> str:
    """A figure as people write it: thousands separated, no trailing zeros (30, 50.4, 12,000)."""
    text = f"{Decimal(repr(number)) if isinstance(number, float) else number:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def dimensions(width: int, height: int) -> str:
    return f"{width:,} × {height:,} pixels"


def _too_big(amount: int, limit: int, unit: str) -> str:
    """A photo over a size limit counted in millions (bytes as MB, pixels as megapixels)."""
    return (
        f"This photo is {beyond(amount / 1_000_000, limit / 1_000_000)} {unit}; photos can be up to "
        f"{plain_number(limit / 1_000_000)} {unit}. Take it again with the iPad camera, or share a smaller copy."
    )


def too_many_bytes(size: int, limit: int) -> str:
    return _too_big(size, limit, "MB")


def too_small(width: int, height: int) -> str:
    return (
        f"This image is {dimensions(width, height)}; photos need to be at least {MIN_SIDE:,} pixels "
        "wide and tall. Choose the original photo rather than an icon or a thumbnail."
    )


def too_long(width: int, height: int) -> str:
    return (
        f"This image is {dimensions(width, height)}; photos can be up to {MAX_SIDE:,} pixels on their "
        "longest side. Share a smaller copy of it."
    )


def too_narrow(width: int, height: int) -> str:
    ratio = max(width, height) / min(width, height)
    shape = ("wide", "tall") if width > height else ("tall", "wide")
    return (
        f"This image is {dimensions(width, height)}, {beyond(ratio, MAX_ASPECT_RATIO)} times as {shape[0]} as it "
        f"is {shape[1]}; photos can be up to {MAX_ASPECT_RATIO} times as {shape[0]} as they are {shape[1]}, "
        "because the networks show only the middle of a longer strip. Crop it first."
    )


def too_many_pixels(pixels: int, limit: int) -> str:
    return _too_big(pixels, limit, "megapixels")


def animated(source_format: str, frames: int) -> str:
    return (
        f"This is {ANIMATED_FORMATS[source_format]} ({frames:,} frames), and posts can only have still "
        f"photos. {ACCEPTED_TYPES_SENTENCE}"
    )


def dimension_problem(width: int, height: int, *, max_pixels: int = MAX_PIXELS) -> str | None:
    """The first limit a picture of this size breaks, as its message; None if it breaks none."""
    if min(width, height) < MIN_SIDE:
        return too_small(width, height)
    if max(width, height) > MAX_SIDE:
        return too_long(width, height)
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        return too_narrow(width, height)
    if width * height > max_pixels:
        return too_many_pixels(width * height, max_pixels)
    return None
