"""Issue 12, rules 1 and 5 beyond the post's text: every photo's description (alt text) and the
text of a quoted post reach the network too; a never-publish pupil tagged or marked on any photo
blocks; a face left unresolved blocks at "Send for approval" (a face dismissed as not a face
counts as resolved)."""

import pytest

from .journey import BLOCKED, PUBLISHED, Photo, run, scenario

FULL = "full name"
CLASSROOM = "Children working together in the classroom"

CASES = [
    # Descriptions (alt text).
    scenario(
        "alt-text-full-name",
        "y3",
        "Certificates for our chess champions!",
        BLOCKED,
        FULL,
        about="ava_patel",
        photos=(Photo(alt="Ava Patel holding her chess certificate"),),
    ),
    scenario(
        "second-photo-alt-full-name",
        "school",
        "Art week in pictures",
        BLOCKED,
        FULL,
        about="chloe",
        photos=(Photo(alt="Easels set up in the hall"), Photo(alt="Chloe Dubois at the easel")),
    ),
    scenario(
        "fourth-photo-alt-hashtag",
        "y5",
        "Sports day in pictures",
        BLOCKED,
        FULL,
        about="mark",
        photos=(Photo(), Photo(), Photo(), Photo(alt="The winning team #MarkEvans")),
    ),
    scenario(
        "alt-text-never-publish-first-name",
        "y5",
        "Painting sunflowers",
        BLOCKED,
        "Ruby",
        about="ruby",
        photos=(Photo(alt="Ruby painting a sunflower"),),
    ),
    scenario(
        "alt-text-never-publish-initials",
        "school",
        "Painting sunflowers",
        BLOCKED,
        "Ruby",
        about="ruby",
        photos=(Photo(alt="R.J. painting a sunflower"),),
    ),
    scenario(
        "alt-text-own-class-refused",
        "y3",
        "Reading buddies",
        BLOCKED,
        "Billy",
        about="will",
        photos=(Photo(alt="Billy reading to a younger child"),),
    ),
    scenario(
        "alt-text-innocent",
        "y3",
        "Reading buddies",
        PUBLISHED,
        photos=(Photo(alt="Two children reading a book about volcanoes and lava"),),
    ),
    # Tags and faces.
    scenario(
        "never-publish-tagged",
        "y5",
        "Painting sunflowers",
        BLOCKED,
        "Ruby",
        about="ruby",
        photos=(Photo(tags=("ruby",)),),
    ),
    scenario(
        "never-publish-tagged-second-photo",
        "school",
        "Our week",
        BLOCKED,
        "Ruby",
        about="ruby",
        photos=(Photo(alt="The school garden"), Photo(alt="Children baking", tags=("ruby",))),
    ),
    scenario(
        "never-publish-face",
        "y5",
        "Painting sunflowers",
        BLOCKED,
        "Ruby",
        about="ruby",
        photos=(Photo(faces=(("pupil", "ruby"),)),),
    ),
    scenario(
        "photo-consent-missing",
        "y5",
        "Poetry afternoon",
        BLOCKED,
        "Anne-Marie",
        about="anne_marie",
        photos=(Photo(tags=("anne_marie",)),),
    ),
    scenario(
        "photo-consent-expired",
        "y5",
        "Poetry afternoon",
        BLOCKED,
        "Hope",
        about="hope",
        photos=(Photo(tags=("hope",)),),
    ),
    scenario(
        "face-unresolved",
        "y3",
        "Great teamwork today!",
        BLOCKED,
        "face",
        stage="send",
        photos=(Photo(faces=(("", None),)),),
    ),
    scenario(
        "face-unresolved-beside-resolved",
        "school",
        "Great teamwork today!",
        BLOCKED,
        "face",
        stage="send",
        photos=(Photo(faces=(("pupil", "ava_patel"), ("", None))),),
    ),
    scenario(
        "detected-face-dismissed-not-a-face",
        "y3",
        "Great teamwork today!",
        PUBLISHED,
        photos=(Photo(detected=("not_face", None)),),
    ),
    scenario(
        "detected-face-unresolved",
        "y3",
        "Great teamwork today!",
        BLOCKED,
        "face",
        stage="send",
        photos=(Photo(detected=("", None)),),
    ),
    scenario(
        "detected-face-never-publish",
        "school",
        "Great teamwork today!",
        BLOCKED,
        "Ruby",
        about="ruby",
        photos=(Photo(alt="The hall", tags=("bex",)), Photo(detected=("pupil", "ruby"))),
    ),
    scenario(
        "faces-not-pupil-and-covered",
        "y3",
        "Great teamwork today!",
        PUBLISHED,
        photos=(Photo(faces=(("not_pupil", None), ("redacted", None))),),
    ),
    scenario(
        "face-consented-pupil",
        "y3",
        "Great teamwork today!",
        PUBLISHED,
        photos=(Photo(faces=(("pupil", "ava_patel"),)),),
    ),
    # Quoted posts: the quoted text goes out with the post.
    scenario(
        "quote-full-name",
        "school",
        "So proud of our chess club!",
        BLOCKED,
        FULL,
        about="ava_patel",
        quote="Congratulations to Ava Patel, county chess champion!",
    ),
    scenario(
        "quote-transliterated-full-name",
        "y3",
        "What a match!",
        BLOCKED,
        FULL,
        about="lukasz",
        quote="Lukasz Nowak scored a hat-trick for the under-9s",
    ),
    scenario(
        "quote-hashtag-full-name",
        "y5",
        "Look back at last year's show",
        BLOCKED,
        FULL,
        about="ruby",
        quote="What a show! #RubyJones",
    ),
    scenario(
        "quote-innocent", "school", "Remember this?", PUBLISHED, quote="Our sunflowers are taller than the fence!"
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_photos_faces_and_quotes(case, world):
    run(case, world)
