"""Any script, emoji, invisible characters and very long texts: no errors, spans that fit the text,
and no pattern that could take exponential time (the long texts here would hang one that did)."""

import pytest

from moderation.engine import check_text

SAMPLES = [
    "",
    " ",
    "\n\n\t",
    "مرحبا بالجميع في مدرستنا",
    "欢迎来到我们的学校。孩子们今天画画。",
    "Croeso i'r ysgol! Mae'r plant yn hapus. Dŵr, tŷ, ŵy.",
    "Привет, школа! Дети рисовали.",
    "🎉🎉🎉 👨‍👩‍👧‍👦 🏳️‍🌈 ✋🏽 1️⃣",
    "\u200b\u200c\u200d\u2060\ufeff\u00ad",
    "Zalgo: Ẕ̸̢̛̛͙a̵l̷g̸o̵ ̸t̷e̸x̵t̸",
    "𝐁𝐨𝐥𝐝 𝓼𝓬𝓻𝓲𝓹𝓽 Ｆｕｌｌ ｗｉｄｔｈ",
    "\x00\x01\x7f control \ufffd",
    "\ud800 lone surrogate",
    "((((((((((((((((((((((((((((((",
    "#" * 50 + "@" * 50 + "*" * 50,
    "a" * 2000,
    "a " * 2000,
    "f u c k " * 500,
    "https://" + "a." * 3000 + "com",
    ("Year 3 had a wonderful day! #Year3 @alpha_school https://www.gov.uk " * 400)[:25_000],
    ("WE LOVE IT " * 3000)[:25_000],
    ("e" * 30 + " ") * 800,
]


@pytest.mark.parametrize("text", SAMPLES, ids=range(len(SAMPLES)))
def test_any_text_is_checked_without_errors_and_spans_fit(school, rules, accounts, text):
    findings = check_text(text, school=school, account=accounts.year3, has_images=True)
    for finding in findings:
        assert 0 <= finding.start <= finding.end <= len(text)
        assert finding.severity in {"block", "warn"}
        assert finding.message


def test_a_25000_character_text_is_handled_and_findings_are_capped(school, rules, accounts):
    text = ("We went to teh park. " * 1200)[:25_000]
    findings = check_text(text, school=school, account=accounts.year3)
    assert 0 < len([finding for finding in findings if finding.rule == "spelling"]) <= 100
    assert [finding.rule for finding in findings if finding.severity == "block"] == ["length"]


def test_text_must_be_a_string(school):
    with pytest.raises(TypeError):
        check_text(None, school=school)


def test_the_account_must_belong_to_the_school(school, outsider):
    with pytest.raises(ValueError, match="another school"):
        check_text("Hello", school=school, account=outsider.account)


def test_spans_index_the_original_text_after_invisible_and_combining_characters(check):
    text = "🎉 Cafe\u0301 \u200bsh\u200bit! 𝐬𝐡𝐢𝐭"
    findings = check(text, rule="offensive_language")
    assert [text[finding.start : finding.end] for finding in findings] == ["sh\u200bit", "𝐬𝐡𝐢𝐭"]
