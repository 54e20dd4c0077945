"""Issue 12, rules 2 and 3: first name + surname initial, a first / preferred / other name or
nickname alone, and two-letter initials.

- Name + surname initial ("Ava S.") names that pupil: BLOCKED without name consent or when
  never-publish; allowed with consent.
- A name or initials alone, when the pupil is tagged, the post is for their own class account,
  or a class/year reference points at their class: BLOCKED without name consent or when
  never-publish.
- Otherwise (whole-school account, another class's account): BLOCKED for a never-publish pupil
  with that name or initials; WARNED ("name_may_identify") when a pupil with that name lacks
  name consent; PUBLISHED when every pupil with that name has it."""

import pytest

from .journey import BLOCKED, PUBLISHED, WARNED, Photo, run, scenario

CASES = [
    # Rule 2: first name + surname initial.
    scenario("initial-consented", "school", "Ava P. won the chess final!", PUBLISHED),
    scenario("initial-no-dot-consented", "school", "Well done Ava P for the chess final", PUBLISHED),
    scenario("initial-hashtag-consented", "school", "Chess champion #AvaP", PUBLISHED),
    scenario("initial-refused", "school", "Ava S. read her poem in assembly.", BLOCKED, "Ava S", about="ava_sj"),
    scenario("initial-hashtag-refused", "school", "Poet of the week #AvaS", BLOCKED, "AvaS", about="ava_sj"),
    scenario("initial-expired", "y3", "Lan N. won the spelling bee.", BLOCKED, "Lan N", about="lan"),
    scenario(
        "initial-withdrawn-name-word", "school", "Mark E. scored the winning goal!", BLOCKED, "Mark E", about="mark"
    ),
    scenario("initial-never-publish", "y3", "Ruby J. helped at the fair.", BLOCKED, "Ruby", about="ruby"),
    scenario("other-name-initial-consented", "y3", "Becky C. scored twice!", PUBLISHED),
    # Rule 3, own class account.
    scenario("own-class-preferred-refused", "y3", "Well done Billy for a super week!", BLOCKED, "Billy", about="will"),
    scenario("own-class-other-name-refused", "y3", "Well done Bill for a super week!", BLOCKED, "Bill", about="will"),
    scenario("own-class-expired", "y5", "Well done Lan for a super week!", BLOCKED, "Lan", about="lan"),
    scenario(
        "own-class-withdrawn-accent", "y3", "Well done Łukasz for a super week!", BLOCKED, "Łukasz", about="lukasz"
    ),
    scenario("own-class-no-consent-chinese", "y3", "Well done 芳 for a super week!", BLOCKED, "芳", about="fang"),
    scenario("own-class-refused-second-ava", "y5", "Well done Ava for a super week!", BLOCKED, "Ava", about="ava_sj"),
    scenario("own-class-legal-first-name", "y3", "William read his story aloud.", BLOCKED, "William", about="will"),
    scenario("own-class-common-nickname", "y3", "Well done to Will for his painting!", BLOCKED, "Will", about="will"),
    scenario("own-class-consented", "y3", "Well done Siobhan for a super week!", PUBLISHED),
    scenario("own-class-consented-hyphen", "y5", "Anne-Marie read her story to the class.", PUBLISHED),
    scenario("own-class-consented-other-name", "y5", "Bex scored twice at netball!", PUBLISHED),
    # Rule 3, tagged in a photo of the post (any account).
    scenario(
        "tagged-no-consent",
        "school",
        "Well done Joy!",
        BLOCKED,
        "Joy",
        about="joy",
        photos=(Photo(alt="A girl holding a poetry certificate", tags=("joy",)),),
    ),
    scenario(
        "tagged-preferred-refused",
        "y5",
        "Billy helped the younger ones today.",
        BLOCKED,
        "Billy",
        about="will",
        photos=(Photo(alt="Two boys reading together", tags=("will",)),),
    ),
    scenario(
        "tagged-consented-other-name",
        "school",
        "Well done Becky!",
        PUBLISHED,
        photos=(Photo(alt="A girl with the netball trophy", tags=("bex",)),),
    ),
    # Rule 3, a class/year reference next to the name.
    scenario(
        "year-reference-never-publish", "school", "Ruby from Year 5 made the cakes.", BLOCKED, "Ruby", about="ruby"
    ),
    scenario("year-abbrev-refused", "school", "Ava (Y5) read her poem in assembly.", BLOCKED, "Ava", about="ava_sj"),
    scenario("year-reference-no-consent", "school", "Hope from Year 5 wrote a poem.", BLOCKED, "Hope", about="hope"),
    # Rule 3, otherwise: whole-school or another class's account.
    scenario("never-publish-first-name-school", "school", "Well done Ruby!", BLOCKED, "Ruby", about="ruby"),
    scenario("never-publish-first-name-other-class", "y3", "Well done Ruby!", BLOCKED, "Ruby", about="ruby"),
    scenario("never-publish-initials", "school", "Well done R.J.!", BLOCKED, "R.J", about="ruby"),
    scenario("never-publish-initials-spaced", "school", "Well done R. J. for helping!", BLOCKED, "R. J", about="ruby"),
    scenario("never-publish-initials-bare", "y3", "Well done RJ for helping!", BLOCKED, "RJ", about="ruby"),
    scenario("shared-first-name-one-refused", "school", "Well done Ava!", WARNED, about="ava_sj"),
    # On Year 3's account "Ava" is Year 3's Ava (name consent given), not Ava Smith-Jones in Year 5.
    scenario("shared-first-name-other-class", "y3", "Ava read to the Reception class.", PUBLISHED),
    scenario("other-name-refused-school", "school", "Well done Wills!", WARNED, about="will"),
    scenario("preferred-refused-other-class", "y5", "Well done Billy!", WARNED, about="will"),
    scenario("expired-school", "school", "Well done Lan!", WARNED, about="lan"),
    scenario("withdrawn-transliterated-school", "school", "Well done Lukasz!", WARNED, about="lukasz"),
    scenario("initials-no-consent-school", "school", "Brilliant reading from S.H. today.", WARNED, about="summer"),
    scenario("initials-bare-no-consent-school", "school", "Brilliant reading from HB today.", WARNED, about="hope"),
    scenario("initials-leaver", "school", "Welcome back G.L., we missed you!", PUBLISHED),
    scenario("initials-other-school-never-publish", "school", "Good luck O.F. in the county final!", PUBLISHED),
    scenario("initials-own-class-refused", "y3", "Star of the week: W.G.", BLOCKED, "W.G", about="will"),
    scenario(
        "initials-own-class-no-consent",
        "y3",
        "Congratulations to J.A. on the poetry prize.",
        BLOCKED,
        "J.A",
        about="joy",
    ),
    scenario("initials-own-class-consented", "y3", "A. P. won the chess final!", PUBLISHED),
    scenario("consented-school", "school", "Well done Mohammed!", PUBLISHED),
    scenario("consented-other-name-school", "school", "Well done Becky!", PUBLISHED),
    scenario("consented-unaccented-other-class", "y5", "Well done Chloe!", PUBLISHED),
]


@pytest.mark.parametrize("case", CASES)
def test_first_names_and_initials(case, world):
    run(case, world)
