"""Issue 12, rule 1 (and 6): a pupil's FULL NAME (first, preferred or other name + surname, in either
order, any case, with or without accents, transliterated, in a hashtag, handle or link, possessive,
with a middle initial, with invisible or look-alike letters) is BLOCKED anywhere the network
receives it, on any account, whatever the consent. Leavers match by full name; names from other
schools never match."""

import pytest

from .journey import BLOCKED, PUBLISHED, run, scenario

FULL = "full name"

CASES = [
    # scenario(id, account, text, expected outcome, keyword in the message, about=pupils)
    scenario("plain", "school", "Well done Ava Patel for the chess final!", BLOCKED, "Ava Patel", about="ava_patel"),
    scenario(
        "surname-comma-first", "y5", "Patel, Ava read to the whole school today.", BLOCKED, FULL, about="ava_patel"
    ),
    scenario("surname-caps-first", "y3", "Star of the week: PATEL Ava", BLOCKED, FULL, about="ava_patel"),
    scenario("lower-case", "school", "huge congratulations to ava patel!", BLOCKED, "ava patel", about="ava_patel"),
    scenario("possessive", "y3", "Ava Patel's painting won first prize.", BLOCKED, FULL, about="ava_patel"),
    scenario("middle-initial", "school", "Well done Ava J. Patel!", BLOCKED, FULL, about="ava_patel"),
    scenario("line-break", "y3", "Star of the week:\nAva\nPatel", BLOCKED, FULL, about="ava_patel"),
    scenario("hashtag-camel", "school", "Chess champion! #AvaPatel", BLOCKED, FULL, about="ava_patel"),
    scenario("hashtag-underscore", "school", "Chess champion! #ava_patel", BLOCKED, FULL, about="ava_patel"),
    scenario("hashtag-lower-joined", "y5", "Chess champion! #avapatel", BLOCKED, FULL, about="ava_patel"),
    scenario("handle", "school", "Say well done to @ava_patel on the chess final", BLOCKED, FULL, about="ava_patel"),
    scenario(
        "link-slug", "school", "Read all about it: https://example.org/ava-patel-wins", BLOCKED, FULL, about="ava_patel"
    ),
    scenario("zero-width-inside", "school", "Well done Ava Pa\u200btel!", BLOCKED, FULL, about="ava_patel"),
    scenario("zero-width-joiner-inside", "y3", "Well done A\u200dva Patel!", BLOCKED, FULL, about="ava_patel"),
    scenario("zero-width-space-beside-space", "y3", "Well done Ava\u200b Patel!", BLOCKED, FULL, about="ava_patel"),
    scenario("zero-width-space-as-gap", "school", "Well done Ava\u200bPatel!", BLOCKED, FULL, about="ava_patel"),
    scenario("soft-hyphen-inside", "school", "Well done Ava Pat\u00adel!", BLOCKED, FULL, about="ava_patel"),
    scenario(
        "hashtag-hidden-in-longer-tag", "school", "What a week #welldoneavapatel", BLOCKED, FULL, about="ava_patel"
    ),
    scenario(
        "full-width-letters",
        "school",
        "Well done \uff21\uff56\uff41 \uff30\uff41\uff54\uff45\uff4c!",
        BLOCKED,
        FULL,
        about="ava_patel",
    ),
    scenario("math-bold-letters", "school", "Well done 𝐀𝐯𝐚 𝐏𝐚𝐭𝐞𝐥!", BLOCKED, FULL, about="ava_patel"),
    scenario(
        "combining-marks-on-every-letter",
        "school",
        "Well done A\u0337v\u0337a\u0337 P\u0337a\u0337t\u0337e\u0337l\u0337!",
        BLOCKED,
        FULL,
        about="ava_patel",
    ),
    scenario("emoji-glued", "y3", "👏🏽Ava Patel👏🏽", BLOCKED, FULL, about="ava_patel"),
    # Accents and transliteration.
    scenario("accent-dropped", "y3", "Chloe Dubois painted the sunflowers.", BLOCKED, FULL, about="chloe"),
    scenario("accent-decomposed", "school", "Chloe\u0301 Dubois painted the sunflowers.", BLOCKED, FULL, about="chloe"),
    scenario("accent-caps", "school", "CHLOÉ DUBOIS, artist of the week", BLOCKED, FULL, about="chloe"),
    scenario("transliterated-l-stroke", "school", "Lukasz Nowak scored a hat-trick!", BLOCKED, FULL, about="lukasz"),
    scenario(
        "written-as-registered", "y5", "Łukasz Nowak scored a hat-trick!", BLOCKED, "Łukasz Nowak", about="lukasz"
    ),
    # Preferred and other names with the surname.
    scenario("preferred-plus-surname", "y5", "Billy Grant ran the fastest lap.", BLOCKED, FULL, about="will"),
    scenario("legal-first-plus-surname", "school", "William Grant ran the fastest lap.", BLOCKED, FULL, about="will"),
    scenario("other-name-plus-surname", "school", "Bex Cole scored twice!", BLOCKED, FULL, about="bex"),
    scenario("surname-comma-other-name", "y3", "Cole, Becky: goal of the season", BLOCKED, FULL, about="bex"),
    scenario("other-name-hashtag", "school", "Goal of the season #BillGrant", BLOCKED, FULL, about="will"),
    # Apostrophes, hyphens, spaces, non-Latin letters.
    scenario("apostrophe-straight", "school", "Siobhán O'Brien sang a solo.", BLOCKED, FULL, about="siobhan"),
    scenario("apostrophe-curly-no-accent", "school", "Siobhan O’Brien sang a solo.", BLOCKED, FULL, about="siobhan"),
    scenario("apostrophe-dropped", "y5", "Siobhan OBrien sang a solo.", BLOCKED, FULL, about="siobhan"),
    scenario("apostrophe-hashtag", "school", "Solo of the year #SiobhanOBrien", BLOCKED, FULL, about="siobhan"),
    scenario("hyphenated-first", "school", "Anne-Marie Walsh read her poem.", BLOCKED, FULL, about="anne_marie"),
    scenario("hyphen-as-space", "y3", "Anne Marie Walsh read her poem.", BLOCKED, FULL, about="anne_marie"),
    scenario("hyphenated-surname-hashtag", "school", "Poet of the week #AvaSmithJones", BLOCKED, FULL, about="ava_sj"),
    scenario("hyphenated-surname-spaced", "y3", "Ava Smith Jones read her poem.", BLOCKED, FULL, about="ava_sj"),
    scenario("unicode-hyphen", "school", "Ava Smith\u2010Jones read her poem.", BLOCKED, FULL, about="ava_sj"),
    scenario("vietnamese-order", "school", "Nguyễn Thị Lan won the spelling bee.", BLOCKED, FULL, about="lan"),
    scenario("vietnamese-unaccented", "y3", "NGUYEN THI LAN won the spelling bee.", BLOCKED, FULL, about="lan"),
    scenario(
        "vietnamese-preferred-plus-surname", "school", "Lan Nguyen won the spelling bee.", BLOCKED, FULL, about="lan"
    ),
    scenario("chinese-no-space", "school", "今天王芳画了一条龙 - dragon art!", BLOCKED, FULL, about="fang"),
    scenario("chinese-spaced", "y3", "Dragon art by 王 芳", BLOCKED, FULL, about="fang"),
    # Consent does not matter for a full name; never-publish does not change that either.
    scenario(
        "consent-given-still-blocked",
        "y3",
        "Mohammed Ali won the boxing-themed quiz!",
        BLOCKED,
        "Mohammed Ali",
        about="mohammed",
    ),
    scenario("never-publish-full-name", "school", "Ruby Jones helped at the fair.", BLOCKED, FULL, about="ruby"),
    scenario("name-word-full-name", "school", "Rose Taylor planted the roses.", BLOCKED, FULL, about="rose"),
    scenario("name-word-full-name-lower-case", "school", "well done rose taylor!", BLOCKED, FULL, about="rose"),
    scenario("name-word-full-name-caps", "y5", "WELL DONE MARK EVANS!", BLOCKED, FULL, about="mark"),
    # Rule 6: leavers by full name only; other schools never.
    scenario("leaver-full-name", "school", "Grace Lee came back to visit!", BLOCKED, FULL, about="grace"),
    scenario("leaver-first-name-alone", "y5", "Grace came back to visit her old class!", PUBLISHED),
    scenario("leaver-surname-initial", "school", "Grace L. came back to visit!", PUBLISHED),
    scenario("other-school-full-name", "school", "Good luck to Oscar Finch at the county final!", PUBLISHED),
    scenario("other-school-first-name", "y3", "Oscar the class hamster says hello!", PUBLISHED),
]


@pytest.mark.parametrize("case", CASES)
def test_full_names(case, world):
    run(case, world)
