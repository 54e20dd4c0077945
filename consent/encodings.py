"""Which encoding an uploaded MIS file is in, and whether the portal can be sure.

A CSV file does not say how its letters were saved. UTF-8 is the only encoding whose strict
decoding proves itself: legacy encodings (Windows-1252, Shift-JIS, GBK…) turn almost any bytes
into some text, often text that reads as nonsense ("ZoÃ«", "ƒJƒ‰ƒX"). So:

- a file that is UTF-8 (or UTF-16 with its byte order mark) and reads cleanly is read as it is;
- a file that is UTF-8 but whose text is itself mojibake (converted twice somewhere on its way),
  a file of UTF-8 lines mixed with Windows-1252 lines, and any file that is not UTF-8 are not
  certain: the office is shown the plausible readings, with names, and chooses one;
- a file that is not text at all (a workbook, a picture, an archive) is refused, naming what it
  looks like.

charset-normalizer ranks the legacy readings and groups encodings that give the same text; ftfy
recognises and mends text that was converted twice. What is written here is what they do not know:
that the text is a register of names, where a symbol inside a word or letters of two alphabets in
one name mean the reading is wrong.
"""

import codecs
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import charset_normalizer
import ftfy

# Pseudo-encodings for the two repairs the office can choose.
MENDED_UTF8 = "utf-8-mended"
MIXED_UTF8_CP1252 = "utf-8+cp1252"

# key -> (Python codec, what the office reads). The keys are what a job remembers.
ENCODINGS: dict[str, tuple[str, str]] = {
    "utf-8": ("utf-8", "UTF-8"),
    "utf-8-sig": ("utf-8-sig", "UTF-8 (with a byte order mark)"),
    "utf-16": ("utf-16", "UTF-16 (Excel's “Unicode text”)"),
    "utf-16-le": ("utf-16-le", "UTF-16 (Excel's “Unicode text”)"),
    "utf-16-be": ("utf-16-be", "UTF-16 (Excel's “Unicode text”)"),
    MENDED_UTF8: ("utf-8", "UTF-8, with letters that were converted twice put right"),
    MIXED_UTF8_CP1252: ("utf-8", "UTF-8, with some lines in Windows-1252 (read line by line)"),
    # Legacy encodings, in the order the portal prefers them when two give the same text.
    "cp1252": ("cp1252", "Windows-1252 (Western European; Excel's plain CSV on Windows)"),
    "latin-1": ("latin-1", "ISO 8859-1 (Latin-1)"),
    "cp1250": ("cp1250", "Windows-1250 (Central European: Polish, Czech, Hungarian and others)"),
    "iso8859-2": ("iso8859-2", "ISO 8859-2 (Central European)"),
    "cp1257": ("cp1257", "Windows-1257 (Baltic: Lithuanian, Latvian, Estonian)"),
    "cp1254": ("cp1254", "Windows-1254 (Turkish)"),
    "cp1251": ("cp1251", "Windows-1251 (Cyrillic: Russian, Ukrainian, Bulgarian and others)"),
    "cp1253": ("cp1253", "Windows-1253 (Greek)"),
    "cp1256": ("cp1256", "Windows-1256 (Arabic)"),
    "cp1255": ("cp1255", "Windows-1255 (Hebrew)"),
    "mac-roman": ("mac_roman", "Mac OS Roman (older Mac spreadsheets)"),
    "shift_jis": ("cp932", "Shift-JIS (Japanese)"),
    "euc-jp": ("euc_jp", "EUC-JP (Japanese)"),
    "gbk": ("gb18030", "GBK / GB18030 (Simplified Chinese)"),
    "big5": ("cp950", "Big5 (Traditional Chinese)"),
    "cp949": ("cp949", "Windows-949 / EUC-KR (Korean)"),
}
LEGACY = [key for key in ENCODINGS if key not in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be")]
LEGACY.remove(MENDED_UTF8)
LEGACY.remove(MIXED_UTF8_CP1252)
MAX_CANDIDATES = 4
# The readings are scored on the start of the file: enough for a thousand pupils or so.
_SAMPLE_CHARS = 64 * 1024


class NotText(ValueError):
    """The file is not text: the message says what it looks like and what to do instead."""


@dataclass(frozen=True)
class Detected:
    """How to read a file: `encoding` when the portal is sure, otherwise the readings to offer,
    most plausible first (the first is also `encoding`, so a caller that cannot ask still reads)."""

    encoding: str
    certain: bool
    candidates: tuple[str, ...] = ()
    reason: str = ""  # why the office is asked, in a sentence


def label(key: str) -> str:
    return ENCODINGS[key][1] if key in ENCODINGS else key


def _codec_name(name: str) -> str:
    return codecs.lookup(name).name


_CODEC_TO_KEY = {_codec_name(codec): key for key, (codec, _) in reversed(ENCODINGS.items()) if key in LEGACY}
_CODEC_TO_KEY.update({_codec_name("shift_jis"): "shift_jis", _codec_name("gbk"): "gbk", _codec_name("big5"): "big5"})


# Files that are not text, by their first bytes.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG photo"),
    (b"GIF87a", "a GIF picture"),
    (b"GIF89a", "a GIF picture"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Excel workbook (.xls) or Word document"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
]


def _what_binary(data: bytes) -> str | None:
    """What a file that is not text looks like, or None when it may be text."""
    if data.startswith(b"PK\x03\x04"):
        return _what_zip(data)
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            return what
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP picture"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "a HEIC photo"
    if data.startswith(b"BM") and len(data) > 26 and b"\x00\x00" in data[2:14]:
        return "a bitmap picture"
    return None


def _what_zip(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        # A cut-off or damaged zip: most often a workbook that was not saved as CSV.
        return "a zip archive or an Excel workbook"
    if any(name.startswith("xl/") for name in names):
        return "an Excel workbook (.xlsx)"
    if any(name.startswith("word/") for name in names):
        return "a Word document"
    if "content.xml" in names and "mimetype" in names:
        return "an OpenDocument file (LibreOffice or OpenOffice)"
    return "a zip archive"


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 saved without its byte order mark: mostly-ASCII text has a zero in every other byte."""
    sample = data[:4096]
    if len(sample) < 4 or len(data) % 2:
        return None
    odd_zeros = sample[1::2].count(0) / (len(sample) // 2)
    even_zeros = sample[0::2].count(0) / (len(sample) // 2)
    if odd_zeros > 0.6 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.6 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


# Control characters other than tab and line ends never appear in a CSV file that is text.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")


def check_text(data: bytes) -> None:
    what = _what_binary(data)
    if what is not None:
        advice = (
            "save it as “CSV UTF-8” from Excel or your MIS and upload that file"
            if "Excel" in what or "OpenDocument" in what
            else "export the pupil list from your MIS as a CSV file and upload that"
        )
        raise NotText(f"This looks like {what}, not a CSV file: {advice}.")
    sample = data[:65536]
    controls = len(_CONTROL_BYTES.findall(sample))
    if b"\x00" in sample or controls > max(2, len(sample) // 200):
        raise NotText(
            "This file holds binary data, not text, so it is not a CSV file. "
            "Export the pupil list from your MIS as “CSV UTF-8” and upload that."
        )


def decode(data: bytes, key: str) -> str:
    """The file's text read as `key`, strictly: UnicodeDecodeError (a ValueError) when it cannot be."""
    if key not in ENCODINGS:
        raise ValueError(f"unknown encoding {key!r}")
    if key == MENDED_UTF8:
        text = data.decode("utf-8-sig")
        # Line by line, so that one twice-converted name does not decide how the others are read.
        return "".join(mend(line) for line in text.splitlines(keepends=True))
    if key == MIXED_UTF8_CP1252:
        return "".join(_decode_line_mixed(line) for line in data.splitlines(keepends=True)).removeprefix("\ufeff")
    return data.decode(ENCODINGS[key][0])


# UTF-8 read as Windows-1252 or Latin-1 always shows a lead byte's letter (Â to ô) followed by a
# continuation byte's character: a quick test, since ftfy's own is slow on a whole file.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def mend(line: str) -> str:
    """The text with any words that were converted twice put right (ftfy); other text as it is."""
    if not _MOJIBAKE_HINT.search(line) or not ftfy.badness.is_bad(line):
        return line
    return ftfy.fix_encoding(line)


def _decode_line_mixed(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        # The five bytes Windows-1252 leaves undefined are kept as Latin-1 reads them.
        return line.decode("cp1252") if _cp1252_defined(line) else line.decode("latin-1")


def _cp1252_defined(line: bytes) -> bool:
    return not any(byte in line for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D))


def _is_mixed(data: bytes) -> bool:
    """Some lines are UTF-8 with letters beyond ASCII, and others are not UTF-8 at all."""
    utf8_lines = broken_lines = 0
    for line in data.splitlines():
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            broken_lines += 1
        else:
            utf8_lines += 1
        if utf8_lines and broken_lines:
            return True
    return False


# What makes a reading implausible for a register of names.
_TOKENS = re.compile(r"[^\s,;\"'|]+")


def _words_beyond_ascii(text: str) -> set[str]:
    return {token for token in _TOKENS.findall(text) if not token.isascii()}


_PUNCTUATION_IN_NAMES = set("’‘‛`´“”„«»–—‐-·.()")
# Scripts written together in one name: Japanese mixes kanji and kana.
_SCRIPT_GROUPS = {
    "HIRAGANA": "CJK",
    "KATAKANA": "CJK",
    "HALFWIDTH": "CJK",
    "FULLWIDTH": "CJK",
    "IDEOGRAPHIC": "CJK",
    "MODIFIER": None,  # ʻ and ʼ in Hawaiian, Welsh and transliterated names
}


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    first_word = unicodedata.name(char, "UNKNOWN").split()[0]
    return _SCRIPT_GROUPS.get(first_word, first_word)


def _odd(token: str) -> bool:
    """A word no register would hold: a symbol or control character among letters, two alphabets
    in one word, a lost letter (�), or text ftfy recognises as converted twice."""
    scripts = set()
    for char in token:
        category = unicodedata.category(char)
        if char == "\ufffd" or category[0] == "C" or char in "ªº":  # ª and º: ordinals, never in a name
            return True
        if not char.isascii() and category[0] in "SP" and char not in _PUNCTUATION_IN_NAMES:
            return True
        script = _script(char)
        if script is not None:
            scripts.add(script)
    return len(scripts) > 1 or ftfy.badness.is_bad(token)


def oddities(text: str) -> int:
    """How many different words in (the start of) the text look wrong for a register of names."""
    return sum(1 for token in _words_beyond_ascii(text[:_SAMPLE_CHARS]) if _odd(token))


def _mojibake_words(text: str) -> list[str]:
    """Words of a UTF-8 text that are themselves mojibake, as ftfy would mend them."""
    if not _MOJIBAKE_HINT.search(text):
        return []
    return [token for token in _words_beyond_ascii(text) if mend(token) != token]


def _legacy_readings(data: bytes) -> list[tuple[int, int, int, str]]:
    """(oddities, charset-normalizer's rank, preference, key) for each distinct strict reading."""
    codecs_tried = [ENCODINGS[key][0] for key in LEGACY]
    rank: dict[str, int] = {}
    for position, match in enumerate(charset_normalizer.from_bytes(data, cp_isolation=codecs_tried)):
        for name in match.could_be_from_charset:
            rank.setdefault(_CODEC_TO_KEY.get(_codec_name(name), name), position)
    readings: dict[str, tuple[int, int, int, str]] = {}  # text -> the preferred key giving it
    for preference, key in enumerate(LEGACY):
        try:
            text = decode(data, key)
        except UnicodeDecodeError:
            continue
        if text in readings:
            continue
        readings[text] = (oddities(text), rank.get(key, len(LEGACY)), preference, key)
    return sorted(readings.values())


def detect(data: bytes) -> Detected:
    """How to read the file; raises NotText for a file that is not text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", certain=True)
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return Detected(utf16, certain=True)
    check_text(data)

    key = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = data.decode(ENCODINGS[key][0])
    except UnicodeDecodeError:
        pass
    else:
        garbled = _mojibake_words(text)
        if not garbled:
            return Detected(key, certain=True)
        example = sorted(garbled)[0]
        return Detected(
            MENDED_UTF8,
            certain=False,
            candidates=(MENDED_UTF8, key),
            reason=(
                f"The file is UTF-8, but {_words(len(garbled))} in it (such as “{example}”, which reads "
                f"“{mend(example)}” when put right) {'look' if len(garbled) != 1 else 'looks'} as if the letters "
                "were converted twice on the way from the MIS."
            ),
        )

    readings = _legacy_readings(data)
    candidates = [key for *_, key in readings]
    if _is_mixed(data):
        candidates.insert(0, MIXED_UTF8_CP1252)
        reason = "Some lines of the file are UTF-8 and others are not, so it was probably put together from two files."
    else:
        reason = "The file is not UTF-8, and it does not say which encoding it uses."
    plausible = [key for key in candidates if key == MIXED_UTF8_CP1252 or _score(readings, key) == 0]
    # When every reading has odd words, the least odd are still offered, so the office can see them.
    offered = (plausible or candidates)[:MAX_CANDIDATES]
    if not offered:
        raise NotText("The portal cannot read the letters in this file. Save it as “CSV UTF-8” and upload it again.")
    return Detected(offered[0], certain=False, candidates=tuple(offered), reason=reason)


def _words(count: int) -> str:
    return f"{count} word{'s' if count != 1 else ''}"


def _score(readings: list[tuple[int, int, int, str]], key: str) -> int:
    return next(odd for odd, _, _, candidate in readings if candidate == key)


# Names whose meaning changed on the way.

# Where a register's names are saved, and where they are read back, in the usual mistakes.
_SAVED_AS = ("utf-8", "cp1252", "cp1250", "latin-1", "cp932", "gb18030", "cp950", "cp1251")
_READ_AS = ("utf-8", "cp1252", "latin-1", "cp1250", "cp1251", "cp1257", "mac_roman", "cp932", "gb18030", "cp950")


def lost_letters(text: str) -> str | None:
    """Why text cannot be a name as written: "replacement" when it holds �, where letters were lost,
    or "control" when it holds control characters. None when it holds neither."""
    if "\ufffd" in text:
        return "replacement"
    if any(unicodedata.category(char) == "Cc" and char not in "\r\n\t" for char in text):
        return "control"
    return None


def is_garbling_of(before: str, after: str) -> bool:
    """Whether `after` is `before` saved in one encoding and read in another, or with its letters
    beyond the encoding's reach turned into "?": the same name, its meaning lost."""
    if before == after or before.isascii() or mend(before) != before:
        return False  # nothing to lose, or the name on file is the garbled one and this puts it right
    if mend(after) == before:
        return True
    for saved_as in _SAVED_AS:
        try:
            saved = before.encode(saved_as)
        except UnicodeEncodeError:
            if before.encode(saved_as, errors="replace").decode(saved_as) == after:
                return True
            continue
        for read_as in _READ_AS:
            if read_as != saved_as and saved.decode(read_as, errors="replace") == after:
                return True
    return False
