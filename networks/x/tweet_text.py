"""X's weighted post length, as twitter-text v3 counts it.

X does not count characters: every code point weighs 200 units except those in a few light
ranges (Latin, most European scripts, general punctuation) that weigh 100; every URL weighs
the same as a t.co link whatever its length; every emoji sequence (ZWJ family, skin tone,
flag, keycap) weighs 200 once. The text is NFC-normalised first, and the total is divided by
the scale, so Latin letters count 1, CJK and emoji 2, a URL 23, and 280 is the limit.

Written here rather than taken from ``twitter-text-parser``: that port ships 2019 emoji data
(newer ZWJ sequences such as the phoenix or head-shaking face count 5 instead of 2) and
imports ``pkg_resources``. The rules mirror twitter-text's ``parseTweet`` (config ``v3.json``), its
URL extractor, and twemoji-parser's emoji matching; the twitter-text conformance data in
``../shared/conformance/`` is the test of record (``tests/posts/test_tweet_text.py``).

Everything is linear in the length of the text: no pattern here can backtrack
catastrophically, host names are tried once per run of host characters (see
``_next_bare_head``), and paths and queries are scanned by hand.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class LengthConfig:
    """The fields of a twitter-text configuration file (``config/v3.json``)."""

    max_weighted_length: int
    scale: int
    default_weight: int
    ranges: tuple[tuple[int, int, int], ...]  # (first code point, last code point, weight)
    transformed_url_length: int
    emoji_parsing_enabled: bool


TWITTER_TEXT_V3 = LengthConfig(
    max_weighted_length=280,
    scale=100,
    default_weight=200,
    ranges=((0, 4351, 100), (8192, 8205, 100), (8208, 8223, 100), (8242, 8247, 100)),
    transformed_url_length=23,
    emoji_parsing_enabled=True,
)


@dataclass(frozen=True)
class Measurement:
    weighted_length: int
    valid: bool


def weighted_length(text: str) -> int:
    """The length X counts for ``text`` (a post may have up to 280)."""
    return measure(text).weighted_length


def is_valid_length(text: str) -> bool:
    """Whether X accepts ``text`` as a post's text, by twitter-text's ``valid`` rule.

    That is: weighted length between 1 and 280, and none of the characters X refuses
    (U+FFFE, U+FEFF, U+FFFF). Empty text is not valid (conformance: "Invalid Tweet: no
    characters (empty)"); a caller that allows image-only posts must treat "" itself.
    """
    return measure(text).valid


def measure(text: str, config: LengthConfig = TWITTER_TEXT_V3) -> Measurement:
    text = unicodedata.normalize("NFC", text)
    units = _weighted_units(text, config)
    length = units // config.scale
    valid = 0 < length <= config.max_weighted_length and not _INVALID_CHARS.search(text)
    return Measurement(weighted_length=length, valid=valid)


def _weighted_units(text: str, config: LengthConfig) -> int:
    url_units = config.transformed_url_length * config.scale
    entities = [(start, end, url_units) for start, end in url_spans(text)]
    if config.emoji_parsing_enabled:
        entities += [(m.start(), m.end(), config.default_weight) for m in _EMOJI_SEQUENCE.finditer(text)]
    entities.sort(key=lambda entity: entity[0])  # stable: URLs first, as parseTweet looks for them first

    units = 0
    position = 0
    for start, end, weight in entities:
        if start < position:  # begins inside an entity already counted
            continue
        units += _plain_units(text, position, start, config) + weight
        position = end
    return units + _plain_units(text, position, len(text), config)


def _plain_units(text: str, start: int, end: int, config: LengthConfig) -> int:
    units = 0
    for char in text[start:end]:
        code_point = ord(char)
        for first, last, weight in config.ranges:
            if first <= code_point <= last:
                units += weight
                break
        else:
            units += config.default_weight
    return units


_INVALID_CHARS = re.compile("[\ufffe\ufeff\uffff]")


# --- Emoji -----------------------------------------------------------------------------------

# Extended_Pictographic, summarised by hand from the Unicode emoji-data.txt property as of
# Unicode 14.0 (the UCD version of Python 3.11's unicodedata; read from the local Perl
# unicore tables). The property deliberately reserves whole blocks for future emoji, so
# Unicode 15 and 16 emoji (U+1FAE8 shaking face, U+1FABE leafless tree, ...) are inside it.
_EXTENDED_PICTOGRAPHIC = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328),
    (0x2388, 0x2388), (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2),
    (0x25AA, 0x25AB), (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712), (0x2714, 0x2714),
    (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734),
    (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755),
    (0x2757, 0x2757), (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F), (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171), (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA), (0x1F400, 0x1F53D),
    (0x1F546, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF), (0x1F90C, 0x1F93A),
    (0x1F93C, 0x1F945), (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
)  # fmt: skip


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


_PICTOGRAPH = _char_class(_EXTENDED_PICTOGRAPHIC)
_SKIN_TONE = "\U0001f3fb-\U0001f3ff"  # Emoji_Modifier
_REGIONAL_INDICATOR = "\U0001f1e6-\U0001f1ff"
_TAG = "\U000e0020-\U000e007e"
_CANCEL_TAG = "\U000e007f"
_VS16, _ZWJ, _KEYCAP = "\ufe0f", "\u200d", "\u20e3"
# © and ® weigh 1 as text; twemoji-parser, which X uses, makes them emoji only with VS16.
_TEXT_STYLE_LIGHT = "\u00a9\u00ae"

# One pictograph: optional VS16 or skin tone, optional tag run (subdivision flags such as
# England).
_EMOJI_ELEMENT = (
    f"(?:[{_TEXT_STYLE_LIGHT}]{_VS16}"
    f"|(?![{_TEXT_STYLE_LIGHT}])[{_PICTOGRAPH}](?:{_VS16}|[{_SKIN_TONE}])?(?:[{_TAG}]+{_CANCEL_TAG})?)"
)
# A ZWJ sequence counts once. Recommended (RGI) sequences join at most four pictographs
# (families, kiss); longer chains are cut there, so a chain of pictographs joined by hand
# cannot pass for one emoji.
_MAX_ZWJ_ELEMENTS = 4
_EMOJI_SEQUENCE = re.compile(
    f"[#*0-9]{_VS16}?{_KEYCAP}"  # keycaps, with or without VS16
    f"|[{_REGIONAL_INDICATOR}]{{2}}"  # flags
    f"|{_EMOJI_ELEMENT}(?:{_ZWJ}{_EMOJI_ELEMENT}){{0,{_MAX_ZWJ_ELEMENTS - 1}}}"
)


# --- URLs ------------------------------------------------------------------------------------

# Our own compact list, not X's full one: the common generic TLDs, every two-letter country
# code (ISO 3166-1 plus ac, eu, su, uk) and the main internationalised country codes. A bare
# domain on a TLD missing here counts by its characters rather than as 23.
_GENERIC_TLDS = """
    com net org edu gov mil int info biz name pro aero asia cat coop jobs mobi museum post tel travel xxx
    academy agency app art blog business cafe camp care center charity church city click cloud club
    college community company cymru design dev digital education email events family fit foundation
    fun gallery games global green group guru health help host house international life link
    live london love ltd media money movie music network news ngo ninja one online ong page photo
    photography photos plus press radio rocks run school science scot services shop site social
    software solutions space sport store studio support systems team tech today tools top training
    video vip wales watch website wiki work works world xyz zone
    みんな 公司 在线 网络 онлайн сайт орг
"""
_COUNTRY_TLDS = """
    ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs
    bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg
    eh er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn
    hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk
    lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf
    ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd
    se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw
    tz ua ug uk um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
    рф укр срб бел қаз мкд мон ελ ευ ею გე հայ 中国 中國 香港 澳門 台湾 台灣 新加坡 한국 ไทย
    भारत இந்தியா বাংলা ලංකා پاکستان ایران مصر السعودية امارات الاردن المغرب الجزائر تونس قطر عمان فلسطين
"""


def _alternation(words: set[str]) -> str:
    """A regex matching any of ``words``, shaped as a trie so that a failed try is cheap."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{group})?" if "" in node else group

    return build(trie)


_COUNTRY_TLD_SET = set(_COUNTRY_TLDS.split())
# A TLD ends where ASCII letters, digits, @, + and - stop (twitter-text's rule), so
# "example.comを見て" holds the URL example.com.
_TLD_END = r"(?![0-9A-Za-z@+\-])"
_TLD = f"(?ai:{_alternation(set(_GENERIC_TLDS.split()) | _COUNTRY_TLD_SET)}{_TLD_END}|xn--[0-9a-z-]+)"

_PUNCT = r"!'#%&()*+,\-./:;<=>?@\[\]^_{|}~$\\"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = "\ufffe\ufeff\uffff"
_HOST_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID}]"
_SUBDOMAIN = f"(?>{_HOST_CHAR}+(?:[-_]+{_HOST_CHAR}+)*)"
_DOMAIN_NAME = f"(?>{_HOST_CHAR}+(?:-+{_HOST_CHAR}+)*)"
_DOMAIN = f"(?P<domain>(?:{_SUBDOMAIN}\\.)*{_DOMAIN_NAME}\\.{_TLD})(?::[0-9]+)?"  # with the port
# twitter-text lets a URL start after anything but a letter, digit, @, $ or #.
_URL_MAY_NOT_FOLLOW = f"0-9A-Za-z@＠$#＃{_INVALID}"
_SCHEME_HEAD = re.compile(rf"(?<![{_URL_MAY_NOT_FOLLOW}])(?P<scheme>(?ai:https?://)){_DOMAIN}")
_BARE_START = re.compile(rf"(?<![{_URL_MAY_NOT_FOLLOW}]){_HOST_CHAR}")
_BARE_HEAD = re.compile(_DOMAIN)
_HOST_RUN = re.compile(rf"(?:{_HOST_CHAR}|[-_.])+")
_BARE_MAY_NOT_FOLLOW = "-_./"

_LATIN_ACCENTS = "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"  # noqa: E501
_CYRILLIC = "\u0400-\u04ff"
_PATH_CHAR = re.compile(rf"[a-zA-Z0-9{_CYRILLIC}{_LATIN_ACCENTS}!*';:=+,.$/%#\[\]\-\u2013_~@|&]")
_PATH_END_CHAR = re.compile(rf"[a-zA-Z0-9{_CYRILLIC}{_LATIN_ACCENTS}+\-=_#/]")
_QUERY_CHAR = re.compile(r"[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]")
_QUERY_END_CHAR = re.compile(r"[a-zA-Z0-9\-_&=#/]")
_MAX_PATH_PAREN_DEPTH = 2

# For a bare domain only its ASCII part counts ("見てexample.com" holds example.com).
_ASCII_LABEL = rf"[a-zA-Z0-9\-{_LATIN_ACCENTS}]+"
_ASCII_LABELS = re.compile(rf"(?:{_ASCII_LABEL}\.)++")
_ASCII_DOMAIN = re.compile(rf"(?:{_ASCII_LABEL}\.)+{_TLD}")
_TCO_URL = re.compile(r"(?ai:https?://t\.co/([a-z0-9]+))")
_MAX_TCO_SLUG_LENGTH = 40
_MAX_URL_LENGTH = 4096
_MAX_LABEL_LENGTH = 63
_DEFAULT_SCHEME = "https://"


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where X sees URLs in ``text``: (start, end) pairs, as twitter-text's extractor finds them.

    twitter-text tries its URL pattern at every position, left to right, and a match (kept or
    rejected) consumes its text. Here the next URL with a scheme and the next bare domain are
    found separately and the earlier one is taken, so that the scan stays linear.
    """
    spans: list[tuple[int, int]] = []
    if "." not in text:
        return spans
    position = 0
    scheme_head = _SCHEME_HEAD.search(text)
    bare_head = _next_bare_head(text, 0)
    while scheme_head or bare_head:
        if scheme_head and (not bare_head or scheme_head.start() <= bare_head.start()):
            head, scheme = scheme_head, scheme_head["scheme"]
        else:
            head, scheme = bare_head, None
        start, end = head.span()
        domain = head["domain"]
        path_end = _path_end(text, end) if text.startswith("/", end) else end
        has_path = path_end > end
        url_end = _query_end(text, path_end) if text.startswith("?", path_end) else path_end
        position = url_end
        if scheme_head and scheme_head.start() < position:
            scheme_head = _SCHEME_HEAD.search(text, position)
        if bare_head and bare_head.start() < position:
            bare_head = _next_bare_head(text, position)

        if not _is_valid_url(text[start:url_end], scheme or _DEFAULT_SCHEME, domain):
            continue
        if scheme:
            tco = _TCO_URL.match(text, start)
            if tco:
                if len(tco[1]) > _MAX_TCO_SLUG_LENGTH:
                    continue
                url_end = tco.end()
            spans.append((start, url_end))
            continue
        if start and text[start - 1] in _BARE_MAY_NOT_FOLLOW:
            continue
        ascii_domains = _ascii_domains(domain)
        for found in ascii_domains:
            if has_path or not _is_short_country_domain(found[0]):
                spans.append((start + found.start(), start + found.end()))
        if has_path and ascii_domains:
            last_start, last_end = spans.pop()
            spans.append((last_start, last_end + url_end - head.end("domain")))
    return spans


def _next_bare_head(text: str, position: int) -> re.Match | None:
    """The next domain without a scheme at or after ``position``.

    When no domain starts at the beginning of a run of host characters, none that X would keep
    starts later in that run either: a later start sees a subset of the same labels, and the
    one exception, a start just after "_", is rejected anyway. So the run is skipped whole, and
    a 100,000-character run of CJK text is tried once, not 100,000 times. (twitter-text would
    still let such a rejected match consume the path after it; we do not.)
    """
    while start := _BARE_START.search(text, position):
        if head := _BARE_HEAD.match(text, start.start()):
            return head
        position = _HOST_RUN.match(text, start.start()).end()
    return None


def _path_end(text: str, slash: int) -> int:
    """End of the URL path starting at ``slash``: balanced, non-empty parentheses allowed
    (Wikipedia's /Primer_(film)), trailing punctuation left out (so "see example.com/a."
    keeps its full stop)."""
    end = slash + 1
    open_groups: list[bool] = []  # one per open parenthesis: has it content yet?
    for index in range(slash + 1, len(text)):
        char = text[index]
        if char == "(":
            if len(open_groups) == _MAX_PATH_PAREN_DEPTH:
                break
            if open_groups:
                open_groups[-1] = True
            open_groups.append(False)
        elif char == ")":
            if not open_groups or not open_groups[-1]:
                break
            open_groups.pop()
            if not open_groups:
                end = index + 1
        elif not _PATH_CHAR.match(char):
            break
        elif open_groups:
            open_groups[-1] = True
        elif _PATH_END_CHAR.match(char):
            end = index + 1
    return end


def _query_end(text: str, question_mark: int) -> int:
    end = question_mark  # a "?" with no proper ending is not part of the URL
    for index in range(question_mark + 1, len(text)):
        char = text[index]
        if not _QUERY_CHAR.match(char):
            break
        if _QUERY_END_CHAR.match(char):
            end = index + 1
    return end


def _is_valid_url(url: str, scheme: str, domain: str) -> bool:
    """twitter-text's ``isValidUrl``: every host label fits DNS once punycoded, and the whole
    URL fits 4096 characters."""
    ascii_length = -1
    for label in domain.split("."):
        ascii_label = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        if not 1 <= len(ascii_label) <= _MAX_LABEL_LENGTH:
            return False
        ascii_length += len(ascii_label) + 1
    if domain.startswith("xn--") and not _ascii_domains(domain):
        return False
    return len(scheme) + len(url) + ascii_length - len(domain) <= _MAX_URL_LENGTH


def _ascii_domains(domain: str) -> list[re.Match]:
    """The ASCII host names in ``domain``, left to right.

    A run of "label." that holds no host name at its start holds none further in either
    (later starts see fewer TLD candidates), so a failed run is skipped whole: a host of
    thousands of labels is searched once, not once per label.
    """
    found = []
    position = 0
    while labels := _ASCII_LABELS.search(domain, position):
        match = _ASCII_DOMAIN.match(domain, labels.start())
        found += [match] if match else []
        position = match.end() if match else labels.end()
    return found


def _is_short_country_domain(domain: str) -> bool:
    """A bare "name.cc" on a country TLD is not a URL to X, except t.co-style .co and .tv."""
    name, _, tld = domain.rpartition(".")
    tld = tld.lower()
    return "." not in name and tld in _COUNTRY_TLD_SET and tld not in {"co", "tv"}
