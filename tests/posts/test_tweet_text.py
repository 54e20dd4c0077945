import dataclasses
import json
import re
from pathlib import Path

import pytest

from posts.tweet_text import TWITTER_TEXT_V3, is_valid_length, measure, weighted_length

# twitter-text's conformance data stays outside the project (see its SOURCE.md) and is read
# where it lies, next to the repository.
CONFORMANCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
CONFORMANCE_ABSENT = "../shared/conformance is not present: twitter-text conformance data lives outside the project"

# twitter-text's config/v2.json is v3.json without emoji parsing; the first section is its test.
TWITTER_TEXT_V2 = dataclasses.replace(TWITTER_TEXT_V3, emoji_parsing_enabled=False)
SECTIONS = {
    "WeightedTweetsCounterTest": TWITTER_TEXT_V2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": TWITTER_TEXT_V3,
    "UnicodeDirectionalMarkerCounterTest": TWITTER_TEXT_V3,
}

# validate.yml is read with a small reader for its regular layout rather than a YAML library
# the project does not otherwise need; test_conformance_data_is_read checks it finds the cases.
_YAML_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_YAML_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip


def _yaml_double_quoted(scalar: str) -> str:
    def unescape(match: re.Match) -> str:
        code = match[1]
        return chr(int(code[1:], 16)) if len(code) > 1 else _YAML_SIMPLE_ESCAPES[code]

    return _YAML_ESCAPE.sub(unescape, scalar[1:-1])


def _yaml_plain(scalar: str) -> bool | int:
    return {"true": True, "false": False}[scalar] if scalar in ("true", "false") else int(scalar)


def load_validate_yml() -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {}
    cases: list[dict] = []
    for line in (CONFORMANCE_DIR / "validate.yml").read_text(encoding="utf-8").splitlines():
        if match := re.fullmatch(r"  (\w+):\s*", line):
            cases = sections.setdefault(match[1], [])
        elif match := re.fullmatch(r'    - description: (".*")\s*', line):
            cases.append({"description": _yaml_double_quoted(match[1]), "expected": {}})
        elif match := re.fullmatch(r'      text: (".*")\s*', line):
            cases[-1]["text"] = _yaml_double_quoted(match[1])
        elif match := re.fullmatch(r"        (\w+): (\S+)\s*", line):
            cases[-1]["expected"][match[1]] = _yaml_plain(match[2])
    return sections


def conformance_cases() -> list:
    if not CONFORMANCE_DIR.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=CONFORMANCE_ABSENT), id="conformance-absent")]
    sections = load_validate_yml()
    return [
        pytest.param(section, case, id=f"{section}: {case['description']}")
        for section in SECTIONS
        for case in sections.get(section, [])
    ]


@pytest.fixture
def conformance_dir() -> Path:
    if not CONFORMANCE_DIR.is_dir():
        pytest.skip(CONFORMANCE_ABSENT)
    return CONFORMANCE_DIR


@pytest.mark.parametrize(("section", "case"), conformance_cases())
def test_conformance_weighted_length_and_validity(section, case):
    expected = case["expected"]
    if SECTIONS[section] is TWITTER_TEXT_V3:
        assert weighted_length(case["text"]) == expected["weightedLength"]
        assert is_valid_length(case["text"]) is expected["valid"]
    else:
        result = measure(case["text"], SECTIONS[section])
        assert (result.weighted_length, result.valid) == (expected["weightedLength"], expected["valid"])


def test_conformance_data_is_read(conformance_dir):
    sections = load_validate_yml()
    for section in SECTIONS:
        cases = sections.get(section, [])
        assert len(cases) >= 2, section
        assert all("text" in case and "weightedLength" in case["expected"] for case in cases), section
    # Escapes are decoded: the directional-marker case is written with \U escapes.
    assert sections["UnicodeDirectionalMarkerCounterTest"][1]["text"].startswith("\u2066\u202ahttp://")


def test_config_matches_twitter_text_v3_json(conformance_dir):
    config = json.loads((conformance_dir / "v3.json").read_text(encoding="utf-8"))
    assert TWITTER_TEXT_V3.max_weighted_length == config["maxWeightedTweetLength"]
    assert TWITTER_TEXT_V3.scale == config["scale"]
    assert TWITTER_TEXT_V3.default_weight == config["defaultWeight"]
    assert TWITTER_TEXT_V3.transformed_url_length == config["transformedURLLength"]
    assert TWITTER_TEXT_V3.emoji_parsing_enabled is config["emojiParsingEnabled"]
    assert TWITTER_TEXT_V3.ranges == tuple((r["start"], r["end"], r["weight"]) for r in config["ranges"])


@pytest.mark.parametrize(
    "emoji",
    [
        pytest.param("\U0001fae8", id="shaking face (Unicode 15)"),
        pytest.param("\U0001fae9", id="face with bags under eyes (Unicode 16)"),
        pytest.param("\U0001f426\u200d\U0001f525", id="phoenix ZWJ (15.1)"),
        pytest.param("\U0001f642\u200d\u2194\ufe0f", id="head shaking horizontally ZWJ (15.1)"),
        pytest.param("\U0001f9d1\U0001f3fd\u200d\U0001f4bb", id="technologist with skin tone"),
        pytest.param("\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", id="family ZWJ"),
        pytest.param("\U0001f9d1\u200d\U0001f9d1\u200d\U0001f9d2", id="family adult adult child (15.1)"),
        pytest.param("\u2764\ufe0f\u200d\U0001f525", id="heart on fire"),
        pytest.param("\U0001f3f3\ufe0f\u200d\U0001f308", id="rainbow flag"),
        pytest.param("\U0001f1ec\U0001f1e7", id="flag GB"),
        pytest.param("\U0001f1e8\U0001f1f6", id="flag Sark (Unicode 16)"),
        pytest.param("\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", id="flag England"),
        pytest.param("3\ufe0f\u20e3", id="keycap 3"),
        pytest.param("#\u20e3", id="keycap # without VS16"),
        pytest.param("\U0001f44b\U0001f3ff", id="waving hand dark skin tone"),
        pytest.param("\u263a\ufe0f", id="text-default smiley with VS16"),
    ],
)
def test_each_emoji_sequence_counts_two(emoji):
    assert weighted_length(emoji) == 2
    assert weighted_length(f"Hi {emoji}!") == 6


def test_copyright_sign_counts_as_text_unless_asked_to_be_emoji():
    assert weighted_length("\u00a9 2026") == 6
    assert weighted_length("\u00a9\ufe0f") == 2


def test_zwj_chain_longer_than_any_recommended_sequence_is_cut_after_four_pictographs():
    grin = "\U0001f600"
    assert weighted_length("\u200d".join([grin] * 4)) == 2
    assert weighted_length("\u200d".join([grin] * 5)) == 2 + 1 + 2


def test_zwj_between_letters_is_a_light_character():
    assert weighted_length("a\u200db") == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("https://example.com", 23, id="short URL"),
        pytest.param("https://www.example.org/a/very/long/path/to/our/school/news?page=2#top", 23, id="long URL"),
        pytest.param("www.example.org", 23, id="bare domain"),
        pytest.param("Read more: demo.school/news.", 11 + 23 + 1, id="bare domain with path, full stop left out"),
        pytest.param("(see https://en.wikipedia.org/wiki/Primer_(film))", 5 + 23 + 1, id="balanced parentheses"),
        pytest.param("https://example.com/a() b", 23 + 4, id="empty parentheses end the path"),
        pytest.param("_example.com/a,b.com", 20, id="nothing after an underscore, nor in its path, is a URL"),
        pytest.param("見てhttps://example.com", 4 + 23, id="URL straight after CJK text"),
        pytest.param("HTTPS://EXAMPLE.COM/X", 23, id="upper case"),
        pytest.param("詳しくはexample.comを見て", 8 + 23 + 6, id="bare domain inside Japanese"),
        pytest.param("https://t.co/abc123 x", 23 + 2, id="t.co link"),
        pytest.param("https://t.co/abc123/more", 23 + 5, id="t.co link takes no further path"),
        pytest.param("t.co and go.tv", 23 + 5 + 23, id="bare .co and .tv short domains are URLs"),
        pytest.param("See https://example.com/search?q=cats.", 4 + 23 + 1, id="query, full stop left out"),
        pytest.param("http://\u2603.net/", 23, id="pictograph in the host is part of the URL"),
        pytest.param("https://example.com/#\ufe0f\u20e3", 23 + 2 + 2, id="emoji starting inside a URL"),
        pytest.param("example.de", 10, id="bare name on a country TLD is not a URL"),
        pytest.param("bbc.co.uk", 23, id="bare domain on a country TLD with a subdomain"),
        pytest.param("head@example.com", 16, id="email address is not a URL"),
        pytest.param("#example.com", 12, id="hashtag is not a URL"),
        pytest.param("file.notatld", 12, id="unknown TLD"),
        pytest.param("http://localhost:8000/", 22, id="no TLD"),
        pytest.param("https://" + "a" * 64 + ".com", 8 + 68, id="host label longer than DNS allows"),
        pytest.param("https://" + ("a" * 60 + ".") * 5 + "com", 23, id="long host of short labels"),
        pytest.param(
            "サイト：" + "、".join(["example.com"] * 25), 8 + 25 * 23 + 24 * 2, id="bare domains listed in Japanese"
        ),
        pytest.param("a https://b.com c https://d.org/e", 2 + 23 + 3 + 23, id="two URLs"),
    ],
)
def test_urls_count_as_transformed_length(text, expected):
    assert weighted_length(text) == expected


def test_cjk_counts_two_per_character():
    assert weighted_length("故人西辞黄鹤楼") == 14
    assert weighted_length("こんにちは") == 10
    assert weighted_length("안녕하세요") == 10


def test_latin_counts_one_per_character_after_nfc():
    assert weighted_length("Hello, world") == 12
    assert weighted_length("Cafe\u0301 cr\u00e8me") == 10
    assert weighted_length("\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\u0442\u0435") == 12


def test_code_points_not_utf16_units_are_counted():
    assert weighted_length("\U0001d400") == 2  # mathematical bold A: one code point, two UTF-16 units


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        pytest.param("a" * 280, True, id="280 Latin"),
        pytest.param("a" * 281, False, id="281 Latin"),
        pytest.param("字" * 140, True, id="140 CJK"),
        pytest.param("字" * 139 + "a", True, id="139 CJK and a letter"),
        pytest.param("字" * 140 + "a", False, id="140 CJK and a letter"),
        pytest.param("x" * 256 + " https://example.com/some/long/path", True, id="280 with a URL"),
        pytest.param("x" * 257 + " https://example.com/", False, id="281 with a URL"),
        pytest.param("\U0001f600" * 140, True, id="140 emoji"),
        pytest.param("\U0001f600" * 141, False, id="141 emoji"),
    ],
)
def test_limit_is_280_weighted(text, valid):
    assert is_valid_length(text) is valid
    assert (weighted_length(text) <= 280) is valid


def test_empty_text_has_length_zero_and_is_not_valid():
    # twitter-text's conformance: "Invalid Tweet: no characters (empty)".
    assert weighted_length("") == 0
    assert is_valid_length("") is False


def test_characters_x_refuses_make_text_invalid():
    assert weighted_length("\ufeffHello") == 7
    assert is_valid_length("\ufeffHello") is False
    assert is_valid_length("Hello") is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a" * 100_000, 100_000, id="one long word"),
        pytest.param("の" * 100_000, 200_000, id="one long CJK run"),
        pytest.param("a." * 50_000, 100_000, id="dotted labels with no TLD"),
        pytest.param("a-" * 50_000, 100_000, id="hyphenated run"),
        pytest.param("a." * 49_998 + "com", 99_999, id="dotted labels ending in a TLD (too long for a URL)"),
        pytest.param("http://" + "a." * 50_000, 100_007, id="scheme and dotted labels"),
        pytest.param("http://example.com/" + "a" * 100_000, 100_019, id="path beyond the 4096 URL limit"),
        pytest.param("http://example.com/" + "(" * 100_000, 100_023, id="unbalanced parentheses"),
        pytest.param("http:// " * 12_500, 100_000, id="schemes without hosts"),
        pytest.param("\U0001f600\u200d" * 50_000, 37_500, id="ZWJ chain of emoji"),
        pytest.param("xn--a." + "a." * 25_000 + "\u3042.com", 50_012, id="punycode-looking host of many labels"),
    ],
)
def test_long_inputs_are_counted(text, expected):
    # Each of these makes a naive URL or emoji pattern backtrack quadratically or worse.
    assert weighted_length(text) == expected
