import datetime as dt
import json

import pytest
from django.utils import timezone

from consent.checks import (
    ConsentCheck,
    FaceInput,
    PhotoInput,
    PostContent,
    Stage,
    check_post_consent,
)
from consent.models import CarerRelationship, ConsentDecision, ConsentPurpose, Pupil
from consent.services import consent_withdraw

from ..factories import make_account
from .conftest import TODAY

PHOTO = ConsentPurpose.SOCIAL_PHOTO
NAME = ConsentPurpose.SOCIAL_NAME
REFUSED = ConsentDecision.REFUSED
NEVER_PUBLISH_REASON = "Subject of a court order"


@pytest.fixture
def oak_accounts(cast):
    return (
        make_account(cast.school, "oak_school"),
        make_account(cast.school, "oak_year3", class_group=cast.year3),
    )


@pytest.fixture
def whole_school(oak_accounts):
    return oak_accounts[0]


@pytest.fixture
def class_account(oak_accounts):
    return oak_accounts[1]


@pytest.fixture
def child(make_pupil, add_record):
    """A Year 3 pupil. `photo` and `name` say which consents are on file (given, open-ended)."""

    def make(first_name: str, surname: str = "Example", *, photo: bool = True, name: bool = True, **fields) -> Pupil:
        pupil = make_pupil(first_name=first_name, surname=surname, **fields)
        if photo:
            add_record(pupil, purpose=PHOTO)
        if name:
            add_record(pupil, purpose=NAME)
        return pupil

    return make


@pytest.fixture
def flagged(child):
    """A pupil the headteacher has marked never to be published, despite full consent on file."""
    return child(
        "Kai",
        "Brennan",
        never_publish=True,
        never_publish_reason=NEVER_PUBLISH_REASON,
        never_publish_set_at=timezone.now(),
    )


def photo(*pupils, faces=(), label="Photo 1") -> PhotoInput:
    return PhotoInput(label=label, tagged_pupil_ids=tuple(p.pk for p in pupils), faces=tuple(faces))


def check(account, text="", *photos, stage=Stage.APPROVE, on=TODAY) -> ConsentCheck:
    return check_post_consent(PostContent(account=account, text=text, photos=photos), stage=stage, on=on)


def codes(result: ConsentCheck) -> list[tuple[str, str]]:
    return [(problem.code, problem.severity) for problem in result.problems]


# Photos: everyone tagged needs photo consent.


def test_tagged_pupil_with_photo_consent_is_allowed(whole_school, child):
    amara = child("Amara", name=False)
    result = check(whole_school, "Sports day!", photo(amara))
    assert result.allowed
    assert result.problems == ()


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (None, "No consent has been recorded for this."),
        ({"decision": REFUSED}, "Consent was refused."),
        ({"withdrawn_on": TODAY - dt.timedelta(days=2)}, "Consent was withdrawn on 8 March 2025."),
        ({"expires_on": TODAY - dt.timedelta(days=1)}, "Consent ran out on 9 March 2025."),
    ],
)
def test_tagged_pupil_without_photo_consent_is_blocked_with_the_reason(record, reason, whole_school, child, add_record):
    amara = child("Amara", photo=False)
    if record is not None:
        add_record(amara, purpose=PHOTO, **record)
    result = check(whole_school, "Sports day!", photo(amara, label="Photo 2"))
    assert not result.allowed
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.pupil_id, problem.photo) == (
        "photo_consent_missing",
        "block",
        amara.pk,
        "Photo 2",
    )
    assert reason in problem.message
    assert problem.message.startswith("Amara cannot appear in Photo 2.")


def test_name_consent_does_not_cover_a_photo(whole_school, child):
    amara = child("Amara", photo=False, name=True)
    assert codes(check(whole_school, "", photo(amara))) == [("photo_consent_missing", "block")]


def test_pupil_who_has_left_cannot_be_tagged(whole_school, child):
    amara = child("Amara", leaving_date=TODAY - dt.timedelta(days=1))
    result = check(whole_school, "", photo(amara))
    assert codes(result) == [("photo_consent_missing", "block")]
    assert "left the school" in result.problems[0].message


def test_every_photo_is_checked(whole_school, child):
    amara, ben = child("Amara"), child("Ben", photo=False)
    result = check(whole_school, "", photo(amara, label="Photo 1"), photo(ben, label="Photo 2"))
    assert [(p.code, p.pupil_id, p.photo) for p in result.problems] == [("photo_consent_missing", ben.pk, "Photo 2")]


# Faces: each must be a consenting tagged pupil, not a pupil, or covered.


def test_faces_resolved_as_consenting_pupil_not_a_pupil_or_redacted_are_allowed(whole_school, child):
    amara = child("Amara")
    faces = [FaceInput("pupil", amara.pk), FaceInput("not_pupil"), FaceInput("redacted")]
    for stage in Stage:
        result = check(whole_school, "", photo(amara, faces=faces), stage=stage)
        assert result.problems == ()


def test_unresolved_face_blocks_at_submission_with_the_message_the_approver_would_see(whole_school):
    faces = [FaceInput("not_pupil"), FaceInput("")]
    at_submit = check(whole_school, "", photo(faces=faces), stage=Stage.SUBMIT)
    at_approval = check(whole_school, "", photo(faces=faces), stage=Stage.APPROVE)
    assert not at_submit.allowed
    [problem] = at_submit.problems
    assert (problem.code, problem.severity, problem.photo) == ("face_unresolved", "block", "Photo 1")
    assert problem.message.startswith("Face 2 in Photo 1 is not resolved")
    assert [p.message for p in at_submit.problems] == [p.message for p in at_approval.problems]


def test_a_face_dismissed_as_not_a_face_counts_as_resolved(whole_school):
    for stage in Stage:
        assert check(whole_school, "", photo(faces=[FaceInput("not_face")]), stage=stage).problems == ()


@pytest.mark.parametrize("stage", [Stage.APPROVE, Stage.PUBLISH])
def test_unresolved_face_blocks_approval_and_publishing(stage, whole_school):
    result = check(whole_school, "", photo(faces=[FaceInput("")]), stage=stage)
    assert not result.allowed
    assert codes(result) == [("face_unresolved", "block")]


def test_face_marked_as_a_pupil_without_saying_who_is_unresolved(whole_school):
    assert codes(check(whole_school, "", photo(faces=[FaceInput("pupil")]))) == [("face_unresolved", "block")]


def test_face_resolved_as_an_untagged_pupil_is_checked_as_if_tagged(whole_school, child):
    ben = child("Ben", photo=False)
    result = check(whole_school, "", photo(faces=[FaceInput("pupil", ben.pk)]))
    assert not result.allowed
    assert codes(result) == [("photo_consent_missing", "block"), ("face_pupil_not_tagged", "warn")]
    assert {problem.pupil_id for problem in result.problems} == {ben.pk}


def test_face_resolved_as_an_untagged_consenting_pupil_only_asks_for_the_tag(whole_school, child):
    amara = child("Amara")
    result = check(whole_school, "", photo(faces=[FaceInput("pupil", amara.pk)]))
    assert result.allowed
    assert codes(result) == [("face_pupil_not_tagged", "warn")]


def test_a_mistyped_face_resolution_is_an_error_not_a_resolved_face():
    with pytest.raises(ValueError):
        FaceInput("redact")
    with pytest.raises(ValueError):
        FaceInput("not_pupil", pupil_id=3)


# Pupils of other schools.


@pytest.mark.parametrize("how", ["tag", "face"])
def test_pupil_from_another_school_is_blocked_without_being_named(how, whole_school, child, make_pupil, cast):
    zainab = make_pupil(school=cast.other_school, first_name="Zainab", surname="Hussain")
    shown = photo(zainab) if how == "tag" else photo(faces=[FaceInput("pupil", zainab.pk)])
    result = check(whole_school, "", shown)
    assert codes(result) == [("pupil_other_school", "block")]
    assert "Zainab" not in result.problems[0].message
    assert "Zainab" not in json.dumps(result.snapshot)


def test_a_tag_for_a_pupil_who_does_not_exist_is_blocked(whole_school):
    result = check(whole_school, "", PhotoInput(label="Photo 1", tagged_pupil_ids=(987_654,)))
    assert codes(result) == [("pupil_other_school", "block")]


def test_another_schools_pupil_named_in_text_is_not_this_schools_concern(class_account, make_pupil, cast):
    make_pupil(school=cast.other_school, first_name="Zainab", surname="Hussain")
    assert check(class_account, "Zainab Hussain visited us from Elm Primary.").problems == ()


# Names in the text.


def test_first_name_of_a_tagged_pupil_without_name_consent_is_blocked(whole_school, child):
    amara = child("Amara", name=False)
    text = "Well done Amara!"
    result = check(whole_school, text, photo(amara))
    assert not result.allowed
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.pupil_id) == ("name_consent_missing", "block", amara.pk)
    assert text[problem.start : problem.end] == "Amara"
    assert "No consent has been recorded for this." in problem.message


def test_first_name_of_a_tagged_pupil_with_name_consent_is_allowed_on_the_whole_school_account(whole_school, child):
    amara = child("Amara")
    assert check(whole_school, "Well done Amara!", photo(amara)).problems == ()


def test_first_name_of_an_untagged_pupil_on_the_whole_school_account_warns_whom_it_could_mean(whole_school, child):
    amara = child("Amara", name=False)
    result = check(whole_school, "Amara, our author in residence, read to us.")
    assert result.allowed
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.pupil_id) == ("name_may_identify", "warn", amara.pk)
    assert "could mean Amara" in problem.message


def test_first_name_of_untagged_pupils_who_may_be_named_passes_on_the_whole_school_account(whole_school, child):
    child("Amara")
    assert check(whole_school, "Amara, our author in residence, read to us.").problems == ()


def test_first_name_counts_on_the_class_account_of_the_pupils_class(class_account, child):
    amara = child("Amara", name=False)
    result = check(class_account, "Amara read her poem today.")
    assert codes(result) == [("name_consent_missing", "block")]
    assert result.problems[0].pupil_id == amara.pk


def test_first_name_of_a_pupil_in_another_class_only_warns_on_a_class_account(class_account, child, cast):
    child("Amara", name=False, class_group=cast.year4)
    assert codes(check(class_account, "Amara read her poem today.")) == [("name_may_identify", "warn")]


def test_preferred_name_counts_as_a_first_name(class_account, child):
    alexander = child("Alexander", preferred_name="Sasha", name=False)
    result = check(class_account, "Sasha won the spelling bee.")
    assert [(p.code, p.pupil_id) for p in result.problems] == [("name_consent_missing", alexander.pk)]


def test_pupils_sharing_a_first_name_are_all_checked(class_account, child):
    child("Amara", "Okafor")
    second = child("Amara", "Bello", name=False)
    result = check(class_account, "Amara led assembly.")
    assert [(p.code, p.pupil_id) for p in result.problems] == [("name_consent_missing", second.pk)]


@pytest.mark.parametrize(
    "text",
    [
        "AMARA came first",
        "amara came first",
        "Amara's painting",
        "Amara’s painting",
        "Congratulations, Amara!",
        "#Amara",
        "Great work\nAmara",
        "Ama\u00adra came first",  # a soft hyphen pasted in from a word processor
        "Ama\u200dra came first",
        "𝐀𝐦𝐚𝐫𝐚 came first",  # "bold" letters from a fancy-text generator
        "Ａｍａｒａ came first",
        "🎉Amara🎉",
    ],
)
def test_a_first_name_is_found_whatever_its_case_or_decoration(text, class_account, child):
    child("Amara", name=False)
    assert codes(check(class_account, text)) == [("name_consent_missing", "block")]


@pytest.mark.parametrize("text", ["Amaranth seeds", "Lamara", "Amara2024", "The amaryllis flowered"])
def test_a_first_name_inside_another_word_is_not_a_name(text, class_account, child):
    child("Amara", name=False)
    assert check(class_account, text).problems == ()


def test_names_with_accents_match_however_they_are_encoded(class_account, child):
    child("Zoë", name=False)
    decomposed = "Zoe\u0308 sang"
    result = check(class_account, decomposed)
    assert codes(result) == [("name_consent_missing", "block")]
    assert decomposed[result.problems[0].start : result.problems[0].end] == "Zoe\u0308"
    assert codes(check(class_account, "ZOË sang")) == [("name_consent_missing", "block")]


def test_a_longer_name_is_not_mistaken_for_a_shorter_one(class_account, child):
    child("Mary", name=False)
    mary_jane = child("Mary-Jane")
    assert check(class_account, "Mary-Jane won.").problems == ()
    result = check(class_account, "Mary and Mary-Jane won.")
    assert [(p.code, p.start) for p in result.problems] == [("name_consent_missing", 0)]
    assert mary_jane.pk not in {p.pupil_id for p in result.problems}


def test_a_pupil_who_has_left_is_not_matched_by_first_name(class_account, child):
    child("Amara", name=False, leaving_date=TODAY)
    assert check(class_account, "Amara read her poem today.").problems == ()


# Full names: never, whatever consent says.


@pytest.mark.parametrize(
    "text",
    [
        "Well done Amara Okafor!",
        "amara okafor's painting",
        "AMARA OKAFOR",
        "Amara\nOkafor",
        "Amara \t\u00a0 Okafor",
        "Mara Okafor",
    ],
)
def test_a_full_name_is_blocked_even_with_consent(text, whole_school, child):
    amara = child("Amara", "Okafor", preferred_name="Mara")
    result = check(whole_school, text, photo(amara))
    assert not result.allowed
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.pupil_id) == ("full_name", "block", amara.pk)
    assert text[problem.start : problem.end].split()[-1].casefold().startswith("okafor")


def test_a_full_name_is_blocked_without_the_pupil_being_shown(whole_school, child, cast):
    child("Amara", "Okafor", class_group=cast.year4)
    assert codes(check(whole_school, "Amara Okafor won the county chess final.")) == [("full_name", "block")]


def test_full_names_with_several_words_match_across_spaces_and_line_breaks(whole_school, child):
    child("Anne Marie", "van der Berg")
    assert codes(check(whole_school, "Anne  Marie van der\nBerg")) == [("full_name", "block")]
    assert check(whole_school, "Anne Marie van Gogh").problems == ()


def test_a_first_name_and_surname_in_different_sentences_are_not_a_full_name(whole_school, child):
    child("Amara", "Okafor")
    assert check(whole_school, "Thank you, Amara. Okafor Builders gave the paint.").problems == ()


def test_the_full_name_of_a_pupil_who_has_left_is_still_blocked(whole_school, child):
    child("Amara", "Okafor", leaving_date=TODAY - dt.timedelta(days=400))
    assert codes(check(whole_school, "Former pupil Amara Okafor visited.")) == [("full_name", "block")]


# Class accounts with photos: initials, not first names.


def test_class_account_with_photos_asks_for_initials_even_with_consent(class_account, child):
    amara = child("Amara")
    result = check(class_account, "Amara painted this.", photo(amara))
    assert result.allowed
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.start, problem.end) == ("class_account_name", "warn", 0, 5)
    assert "Use initials, e.g. “A.”, on class accounts with photos" in problem.message


def test_class_account_with_photos_and_no_name_consent_blocks_and_asks_for_initials(class_account, child):
    amara, ben = child("Amara"), child("Ben", name=False)
    result = check(class_account, "Ben painted this.", photo(amara))
    assert codes(result) == [("name_consent_missing", "block"), ("class_account_name", "warn")]
    assert {problem.pupil_id for problem in result.problems} == {ben.pk}


def test_class_account_without_photos_does_not_ask_for_initials(class_account, child):
    child("Amara")
    assert check(class_account, "Amara painted this.").problems == ()


def test_whole_school_account_does_not_ask_for_initials(whole_school, child):
    amara = child("Amara")
    assert check(whole_school, "Amara painted this.", photo(amara)).problems == ()


# Never publish: blocked outright, wherever the pupil appears, without saying why.


@pytest.mark.parametrize("stage", list(Stage))
def test_never_publish_pupil_tagged_is_blocked_at_every_stage(stage, whole_school, flagged):
    result = check(whole_school, "", photo(flagged), stage=stage)
    assert not result.allowed
    [problem] = result.problems
    assert (problem.code, problem.severity, problem.pupil_id) == ("never_publish", "block", flagged.pk)
    assert problem.message == "Kai must not appear in any post (do not publish)."


def test_never_publish_pupil_on_a_face_is_blocked(whole_school, flagged):
    result = check(whole_school, "", photo(faces=[FaceInput("pupil", flagged.pk)]), stage=Stage.SUBMIT)
    assert not result.allowed
    assert ("never_publish", "block") in codes(result)


def test_never_publish_pupil_named_on_their_class_account_is_blocked(class_account, flagged):
    result = check(class_account, "Kai scored the winning goal.")
    assert codes(result) == [("never_publish", "block")]
    assert (result.problems[0].start, result.problems[0].end) == (0, 3)


def test_never_publish_pupil_named_in_full_is_blocked(whole_school, flagged):
    result = check(whole_school, "Kai Brennan scored the winning goal.")
    assert codes(result) == [("full_name", "block"), ("never_publish", "block")]


def test_never_publish_reason_and_surname_are_never_revealed(whole_school, class_account, flagged):
    results = [
        check(whole_school, "", photo(flagged)),
        check(class_account, "Kai scored.", photo(flagged)),
        check(whole_school, "Kai Brennan scored."),
    ]
    for result in results:
        written = json.dumps(result.snapshot) + " ".join(problem.message for problem in result.problems)
        assert NEVER_PUBLISH_REASON not in written
        assert all("Brennan" not in p.message for p in result.problems if p.code == "never_publish")


# Every stage runs the same check: consent withdrawn after approval stops publication.


def test_publishing_rechecks_consent_withdrawn_after_approval(whole_school, make_pupil, add_record, cast):
    amara = make_pupil(first_name="Amara")
    consent = add_record(amara, purpose=PHOTO)
    content = PostContent(account=whole_school, text="Sports day!", photos=(photo(amara),))
    assert check_post_consent(content, stage=Stage.APPROVE).allowed

    consent_withdraw(actor=cast.office, record=consent)

    result = check_post_consent(content, stage=Stage.PUBLISH)
    assert not result.allowed
    assert codes(result) == [("photo_consent_missing", "block")]
    assert "Consent was withdrawn" in result.problems[0].message


def test_consent_is_judged_on_the_day_asked_about(whole_school, make_pupil, add_record):
    amara = make_pupil(first_name="Amara")
    add_record(amara, purpose=PHOTO, expires_on=TODAY)
    assert check(whole_school, "", photo(amara), on=TODAY).allowed
    assert not check(whole_school, "", photo(amara), on=TODAY + dt.timedelta(days=1)).allowed


# The snapshot kept with an approval.


def test_snapshot_records_who_was_shown_and_named_under_what_consent(whole_school, child, make_pupil, add_record, cast):
    amara = child("Amara", "Okafor")
    ben = child("Ben", "Ito", photo=False)
    carer = ("Hana Ito", CarerRelationship.MOTHER)
    add_record(ben, purpose=PHOTO, decision=REFUSED, carer=carer)
    zainab = make_pupil(school=cast.other_school, first_name="Zainab")
    result = check(
        whole_school,
        "Amara and Ben at the fair.",
        photo(amara, faces=[FaceInput("pupil", ben.pk), FaceInput("redacted")]),
        photo(zainab, label="Photo 2"),
    )

    snapshot = json.loads(json.dumps(result.snapshot))
    assert snapshot["checked_on"] == "2025-03-10"
    assert snapshot["stage"] == "approve"
    assert snapshot["account_id"] == whole_school.pk
    first, second = snapshot["photos"]
    assert first["label"] == "Photo 1"
    assert first["pupils"] == [
        {
            "pupil_id": amara.pk,
            "source": "tag",
            "on_register": True,
            "first_name": "Amara",
            "social_photo": {
                "allowed": True,
                "state": "given",
                "reason": "Consent given, until the pupil leaves the school.",
            },
            "social_name": {
                "allowed": True,
                "state": "given",
                "reason": "Consent given, until the pupil leaves the school.",
            },
        },
        {
            "pupil_id": ben.pk,
            "source": "face",
            "on_register": True,
            "first_name": "Ben",
            "social_photo": {"allowed": False, "state": "refused", "reason": "Consent was refused."},
            "social_name": {
                "allowed": True,
                "state": "given",
                "reason": "Consent given, until the pupil leaves the school.",
            },
        },
    ]
    assert first["faces"] == [{"resolution": "pupil", "pupil_id": ben.pk}, {"resolution": "redacted", "pupil_id": None}]
    assert second["pupils"] == [{"pupil_id": zainab.pk, "source": "tag", "on_register": False}]
    assert [(n["pupil_id"], n["full_name"]) for n in snapshot["named"]] == [(amara.pk, False), (ben.pk, False)]


# Cost: a fixed number of queries, and time linear in the text.


@pytest.mark.parametrize("size", [3, 60])
def test_queries_do_not_grow_with_the_number_of_pupils(
    size, class_account, make_pupil, add_record, django_assert_max_num_queries
):
    pupils = [make_pupil(first_name=f"Name{n}x", surname=f"Family{n}x") for n in range(size)]
    for pupil in pupils:
        add_record(pupil, purpose=PHOTO)
        add_record(pupil, purpose=NAME, decision=REFUSED)
    text = " ".join(pupil.first_name for pupil in pupils)
    photos = [photo(*pupils[n::4], label=f"Photo {n + 1}") for n in range(4)]

    check(class_account, "warm up")  # the register's names are then kept in memory
    with django_assert_max_num_queries(3):  # the register's version, the pupils, their consent
        result = check(class_account, text, *photos)

    assert [p.code for p in result.problems].count("name_consent_missing") == size
    assert "photo_consent_missing" not in {p.code for p in result.problems}


def test_a_long_text_in_any_script_with_many_pupils_is_checked(class_account, cast):
    pupils = Pupil.objects.bulk_create(
        Pupil(school=cast.school, class_group=cast.year3, first_name=f"Pupil{n}a", surname=f"Family{n}b")
        for n in range(500)
    )
    # Emoji, joiners, right-to-left and CJK text, near-misses of names and lots of glue, repeated.
    filler = "👨‍👩‍👧‍👦 مرحبا 你好 \u200b\u200d Pupil1 Pupil12 Pupil1aa -'- \n\t Ｐｕｐｉｌ "
    text = (filler * (25_000 // len(filler)))[: 25_000 - 40] + " Pupil499a Family499b!"
    assert len(text) <= 25_000

    result = check(class_account, text)

    assert [(p.code, p.pupil_id) for p in result.problems] == [("full_name", pupils[-1].pk)]
