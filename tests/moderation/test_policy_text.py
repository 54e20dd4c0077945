"""The default policy text and the plain-text reading of a policy into sections."""

from moderation.policy import parse_policy, policy_default_text, section_anchors
from moderation.rules import DEFAULT_RULES


def test_default_text_names_the_school(school):
    text = policy_default_text(school)
    assert text.startswith("Alpha Primary uses social media")
    assert "{school}" not in text


def test_default_text_has_every_paragraph_the_default_rules_link_to(school):
    anchors = section_anchors(policy_default_text(school))
    linked = {paragraph for *_, paragraph in DEFAULT_RULES}
    assert linked <= set(anchors), f"missing: {sorted(linked - set(anchors))}"


def test_default_text_covers_what_school_policies_ask_for(school):
    anchors = section_anchors(policy_default_text(school))
    for topic in ("accounts", "class-accounts", "photos", "following", "followers", "concerns", "review"):
        assert topic in anchors


def test_default_text_keeps_each_paragraph_on_one_line(school):
    for section in parse_policy(policy_default_text(school)):
        for block in section.blocks:
            assert "\n" not in block.items[0]
    assert "\n\n## Naming pupils {#pupil-names}\n\nA pupil's first name and surname never" in policy_default_text(
        school
    )


def test_headings_become_sections_with_anchors_and_paragraphs():
    sections = parse_policy(
        "Intro line one\nintro line two.\n\n## Who runs it {#accounts}\n\nThe head.\n\nThe deputy.\n\n"
        "## Photos and Consent\n- one\n- two\n"
    )
    assert [(s.heading, s.anchor) for s in sections] == [
        ("", "introduction"),
        ("Who runs it", "accounts"),
        ("Photos and Consent", "photos-and-consent"),
    ]
    assert sections[0].blocks[0].items == ("Intro line one intro line two.",)
    assert [b.anchor for b in sections[1].blocks] == ["accounts-1", "accounts-2"]
    assert sections[2].blocks[0].kind == "list" and sections[2].blocks[0].items == ("one", "two")


def test_repeated_anchors_are_made_unique_and_odd_anchors_are_slugified():
    anchors = section_anchors("## Tone\n\nA.\n\n## Tone\n\nB.\n\n## Named {#Not A Slug!}\n\nC.\n\n## {#}\n\nD.")
    assert list(anchors) == ["tone", "tone-2", "not-a-slug", "section"]


def test_windows_line_endings_and_blank_lines_with_spaces_split_paragraphs():
    sections = parse_policy("## One\r\n\r\nFirst.\r\n   \r\nSecond.")
    assert [block.items[0] for block in sections[0].blocks] == ["First.", "Second."]


def test_markup_in_a_policy_is_kept_as_text():
    sections = parse_policy('## <b>Bold</b>\n\n<script>alert("x")</script>')
    assert sections[0].heading == "<b>Bold</b>"
    assert sections[0].blocks[0].items == ('<script>alert("x")</script>',)
