"""The audit trail in plain words: every event the code records has a sentence, sentences name
objects the way staff do (never a pupil's full name), and link only to the school's own objects."""

import string
from datetime import date

import pytest
from django.contrib.auth.signals import user_logged_in
from django.test import RequestFactory
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import Role
from audit import describe
from audit.models import AuditEvent
from audit.services import record
from community import incidents
from community.audience import follower_accept
from community.models import Follower
from consent import services as consent_services
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, Pupil
from moderation import services as moderation_services
from moderation.rules import RuleType, Severity
from posts.models import PostImage
from posts.services import post_approve, post_create, post_submit

from .event_names import recorded_event_names


def _sentences(school, viewer, *, actions=None):
    events = AuditEvent.objects.for_school(school).select_related("actor").order_by("created_at", "pk")
    if actions is not None:
        events = events.filter(action__in=actions)
    return describe.describe_events(events, school=school, viewer=viewer)


def _text(school, viewer, action):
    [entry] = _sentences(school, viewer, actions=[action])
    return entry.text


# Every event is described.


def test_every_event_the_code_records_has_a_plain_description():
    recorded = recorded_event_names()
    # The scan finds the names built at run time too, or it proves nothing.
    assert {"mention.mark_ok", "follower.muted", "photo.face_dismissed", "incident.note", "post.approved"} <= set(
        recorded
    )
    assert {"consent.imported", "post.approved_on_trip", "audit.exported"} <= set(recorded)
    missing = {name: place for name, place in recorded.items() if describe.kind_for(name) is None}
    assert not missing, "Describe these audit events in their app's audit_descriptions.py: " + ", ".join(
        f"{name} ({place})" for name, place in sorted(missing.items())
    )


def test_every_object_a_sentence_names_has_a_way_to_be_named():
    for category, kinds in describe.kinds_by_category():
        for kind in kinds:
            unknown = {model for model, _key in kind.refs.values()} - describe.registered_targets()
            assert not unknown, f"{kind.code} names {unknown}, which no app has registered"
            if isinstance(kind.sentence, str) and kind.values is None:
                fields = {name for _, name, _, _ in string.Formatter().parse(kind.sentence) if name}
                assert fields <= {"who", "target", *kind.refs}, f"{kind.code} fills in {fields}"
            assert kind.category is category


def test_an_entry_missing_what_its_sentence_needs_still_reads_as_a_sentence(named, school):
    for code in describe.described_codes():
        record(action=code, actor=named.head.user, school=school, target=named.teacher, data={})
    for entry in _sentences(school, named.head):
        assert "Helen Carter" in entry.text and entry.text[:1].isupper(), entry.text
        assert "{" not in entry.text and entry.event.action not in entry.text


def test_an_unknown_kind_of_event_reads_as_a_sentence_not_a_code(named, school):
    record(action="widget.frobbed_twice", actor=named.head.user, school=school, target=named.teacher)
    [entry] = _sentences(school, named.head)
    assert entry.text == "Helen Carter recorded “Widget frobbed twice” for Tom Jones"
    assert entry.kind_label == "Widget frobbed twice" and entry.category is None


def test_an_object_no_app_names_is_called_by_its_kind_never_by_its_stored_name(named, school, year3):
    record(action="widget.frobbed", actor=named.head.user, school=school, target=year3)
    [entry] = _sentences(school, named.head)
    assert entry.text == "Helen Carter recorded “Widget frobbed” for a class group"
    assert entry.event.target_repr == "Year 3" and "Year 3" not in entry.html


# Sentences, a few of each kind, from the services that record them.


def test_sign_ins_and_staff_changes_read_plainly(named, school, year3):
    user_logged_in.send(sender=type(named.head.user), request=RequestFactory().get("/"), user=named.head.user)
    accounts_services.invitation_create(
        actor=named.head, email="new.teacher@alpha.test", roles=[Role.CLASS_TEACHER], class_groups=[year3]
    )
    accounts_services.membership_set_roles(
        actor=named.head, membership=named.teacher, roles=[Role.CLASS_TEACHER, Role.SENIOR_LEADER], class_groups=[year3]
    )
    accounts_services.membership_deactivate(actor=named.head, membership=named.teacher)

    assert _text(school, named.head, "auth.signed_in") == "Helen Carter signed in"
    assert (
        _text(school, named.head, "staff.invited")
        == "Helen Carter invited new.teacher@alpha.test to join as class teacher for Year 3"
    )
    assert (
        _text(school, named.head, "staff.roles_changed")
        == "Helen Carter changed Tom Jones's roles from class teacher to class teacher and senior leader"
    )
    assert (
        _text(school, named.head, "staff.deactivated")
        == "Helen Carter deactivated Tom Jones: they can no longer sign in here"
    )


def test_consent_entries_name_the_pupil_by_first_name_and_initial_only(named, school, year3):
    pupil = consent_services.pupil_create(actor=named.office, first_name="Ava", surname="Patel", class_group=year3)
    consent = consent_services.consent_record(
        actor=named.office,
        pupil=pupil,
        purpose=ConsentPurpose.SOCIAL_PHOTO,
        decision=ConsentDecision.GIVEN,
        given_by_name="Nadia Patel",
        relationship=CarerRelationship.MOTHER,
        method=ConsentMethod.ADMISSION_FORM,
        decided_on=date(2026, 9, 1),
    )
    consent_services.consent_withdraw(actor=named.office, record=consent)
    consent_services.pupil_set_never_publish(actor=named.head, pupil=pupil, reason="Court order")

    assert _text(school, named.head, "pupil.created") == "Sam Lee added Ava P. to the register in Year 3"
    assert (
        _text(school, named.head, "consent.recorded")
        == "Sam Lee recorded photo consent as given for Ava P. (mother, admission form)"
    )
    assert _text(school, named.head, "consent.withdrawn") == "Sam Lee withdrew photo consent for Ava P."
    assert _text(school, named.head, "pupil.never_publish_set") == "Helen Carter marked Ava P. “do not publish”"
    # The entries store the full name as they were written; the trail never shows it, nor the reason.
    assert AuditEvent.objects.filter(target_repr__contains="Patel").exists()
    for entry in _sentences(school, named.head):
        assert "Patel" not in entry.text + entry.html + entry.subject
        assert "Court order" not in entry.text


def test_a_pupil_the_entry_names_by_id_stays_unnamed_when_not_on_the_register(named, school, outsider):
    theirs = Pupil.objects.create(school=outsider.school, first_name="Zara", surname="Quinn")
    record(
        action="consent.withdrawn",
        actor=named.office.user,
        school=school,
        data={"pupil_id": theirs.pk, "purpose": ConsentPurpose.SOCIAL_PHOTO, "relationship": "mother"},
    )
    [entry] = _sentences(school, named.head)
    assert entry.text == "Sam Lee withdrew photo consent for a pupil"
    assert "Zara" not in entry.html and "href" not in entry.html


def test_post_entries_say_whose_post_it_is_and_how_it_starts(
    named, school, accounts, django_capture_on_commit_callbacks
):
    post = post_create(actor=named.teacher, account=accounts.year3, text="Our rocket day")
    post_submit(actor=named.teacher, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        post_approve(actor=named.head, post=post, now=True)

    rocket = "Year 3's post ‘Our rocket day’"
    assert _text(school, named.head, "post.created") == f"Tom Jones started writing {rocket}"
    assert _text(school, named.head, "post.submitted") == f"Tom Jones sent {rocket} for approval"
    assert _text(school, named.head, "post.approved") == f"Helen Carter approved {rocket}"
    assert _text(school, named.head, "post.published") == f"The portal published {rocket}"


def test_a_long_post_is_cut_at_a_word(named, school, accounts):
    post_create(
        actor=named.teacher, account=accounts.year3, text="Year 3 planted sunflowers and measured them every week"
    )
    assert (
        _text(school, named.head, "post.created")
        == "Tom Jones started writing Year 3's post ‘Year 3 planted sunflowers and measured…’"
    )


def test_rules_and_policy_entries_read_plainly(named, school):
    rule = moderation_services.rule_create(
        actor=named.computing, type=RuleType.OFFENSIVE_LANGUAGE, severity=Severity.WARN
    )
    moderation_services.rule_update(actor=named.computing, rule=rule, severity=Severity.BLOCK)
    moderation_services.rule_delete(actor=named.computing, rule=rule)
    version = moderation_services.policy_draft_create(actor=named.head, body="## Our policy\n\nWe post with care.")
    moderation_services.policy_sign_off(actor=named.head, version=version, adopted_on=date(2026, 9, 1))

    texts = [entry.text for entry in _sentences(school, named.head)]
    assert texts == [
        "Priya Shah added a rule since deleted: warn the author, all accounts",
        "Priya Shah changed a rule since deleted: how serious it is",
        "Priya Shah deleted the rule “Offensive language”",
        "Helen Carter started drafting version 1 of the social media policy",
        "Helen Carter signed off version 1 of the social media policy, adopted on 1 Sep 2026 "
        "and due for review on 1 Sep 2027",
    ]


def test_a_rule_that_still_exists_is_named_and_linked(named, school):
    moderation_services.rule_create(actor=named.computing, type=RuleType.HASHTAGS, severity=Severity.WARN)
    [entry] = _sentences(school, named.head)
    rule_id = entry.event.target_id
    assert entry.text == "Priya Shah added the rule “Hashtags”: warn the author, all accounts"
    assert f'href="{reverse("rule_edit", args=[rule_id])}"' in entry.html


def test_community_entries_read_plainly(named, school, accounts):
    follower = Follower.objects.create(account=accounts.whole_school, network_user_id="77", handle="kind_neighbour")
    follower_accept(actor=named.office, follower=follower)
    concern = incidents.concern_raise(
        actor=named.teacher, description="A reply looks unkind", url="https://example.org/1"
    )
    incident = incidents.incident_open(actor=named.head, title="Unkind reply", severity="high", concern=concern)
    incidents.incident_close(actor=named.head, incident=incident, summary="Reported and blocked.")

    texts = [entry.text for entry in _sentences(school, named.head)]
    assert "Sam Lee accepted @kind_neighbour, a follower of @alpha_school" in texts
    assert "Tom Jones raised a concern about a page elsewhere" in texts
    assert "Helen Carter opened the incident ‘Unkind reply’, of high severity" in texts
    assert "Helen Carter closed the incident ‘Unkind reply’" in texts


# Links.


def test_links_go_to_each_objects_page_for_someone_who_may_open_it(named, school, accounts, year3):
    post = post_create(actor=named.teacher, account=accounts.year3, text="Sports day")
    pupil = consent_services.pupil_create(actor=named.office, first_name="Ava", surname="Patel", class_group=year3)
    image = PostImage.objects.create(post=post, width=10, height=10)
    record(action="photo.tagged", actor=named.teacher.user, school=school, target=image, data={"pupil_id": pupil.pk})

    [created, added, tagged] = _sentences(school, named.head)
    assert f'<a href="{reverse("review_post", args=[post.pk])}">Year 3&#x27;s post ‘Sports day’</a>' in created.html
    assert f'<a href="{reverse("consent_pupil", args=[pupil.pk])}">Ava P.</a>' in added.html
    assert reverse("post_photo", args=[post.pk, image.pk]) in tagged.html
    assert tagged.text == "Tom Jones tagged Ava P. in photo 1 of Year 3's post ‘Sports day’"


def test_no_link_to_a_page_the_viewer_may_not_open(named, school, accounts):
    post_create(actor=named.teacher, account=accounts.year3, text="Sports day")
    [entry] = _sentences(school, named.office)  # the office admin does not approve posts
    assert entry.text == "Tom Jones started writing Year 3's post ‘Sports day’"
    assert "href" not in entry.html


def test_an_object_of_another_school_is_neither_named_nor_linked(named, school, outsider):
    theirs = post_create(actor=outsider.head, account=outsider.account, text="Beta secret trip")
    record(action="post.approved", actor=named.head.user, school=school, target=theirs)
    [entry] = _sentences(school, named.head)
    assert entry.text == "Helen Carter approved a post"
    assert "Beta" not in entry.html and "href" not in entry.html


def test_a_removed_photo_is_still_described(named, school, accounts):
    post = post_create(actor=named.teacher, account=accounts.year3, text="Sports day")
    image = PostImage.objects.create(post=post, width=10, height=10)
    record(action="photo.face_added", actor=named.teacher.user, school=school, target=image, data={"post_id": post.pk})
    image.delete()
    assert (
        _text(school, named.head, "photo.face_added")
        == "Tom Jones marked a face the portal had missed on a photo since removed from its post"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [([], "none"), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")],
)
def test_lists_read_as_english(value, expected):
    assert describe.words(value) == expected
