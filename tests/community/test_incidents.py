"""Concerns and incidents: any member of staff raises a concern, every headteacher is emailed at
once, and the headteacher records what was done in an incident whose history is never deleted."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from accounts.models import Membership, Role
from audit.models import AuditEvent
from community import incidents
from community.models import Concern, Incident, IncidentEntry, MentionItem, MentionSync
from posts.models import Post

from ..factories import make_class, make_member

MENTION_URL = "http://localhost:8000/local/people/angry_neighbour/#mention-9"


def _actions() -> list[str]:
    """The audit trail's concern and incident entries, oldest first (not the sign-ins)."""
    events = AuditEvent.objects.filter(action__regex=r"^(concern|incident)\.").order_by("created_at", "id")
    return list(events.values_list("action", flat=True))


@pytest.fixture
def mention(accounts):
    return MentionItem.objects.create(
        account=accounts.whole_school,
        network_id="9",
        author_id="41",
        author_handle="angry_neighbour",
        text="@alpha_school that teacher in Year 3 should be sacked",
        url=MENTION_URL,
        created_at=timezone.now(),
    )


@pytest.fixture
def post(staff, accounts):
    return Post.objects.create(account=accounts.year3, author=staff.teacher.user, text="Our volcano day")


@pytest.fixture
def raise_concern(django_capture_on_commit_callbacks):
    """Raise a concern and run what waits for the commit (the emails)."""

    def run(**kwargs) -> Concern:
        with django_capture_on_commit_callbacks(execute=True):
            return incidents.concern_raise(**kwargs)

    return run


# Raising a concern.


def test_a_teacher_raises_a_concern_and_every_headteacher_is_emailed(staff, school, mention, raise_concern):
    second_head = make_member(school, "deputy-head@alpha.test", [Role.HEADTEACHER])
    former_head = make_member(school, "former-head@alpha.test", [Role.HEADTEACHER])
    Membership.objects.filter(pk=former_head.pk).update(is_active=False)

    concern = raise_concern(actor=staff.teacher, url="https://example.org/some/post", description="A parent is upset")

    [email] = mail.outbox
    assert sorted(email.to) == sorted([staff.head.user.email, second_head.user.email])
    assert "Teacher" in email.subject
    assert "A parent is upset" in email.body and "https://example.org/some/post" in email.body
    assert reverse("concern_detail", args=[concern.pk]) in email.body
    assert _actions() == ["concern.raised"]


def test_no_email_when_the_concern_is_not_saved(staff, raise_concern):
    with pytest.raises(ValidationError):
        raise_concern(actor=staff.teacher, url="https://example.org/x", description="   ")
    assert mail.outbox == [] and not Concern.objects.exists()


def test_a_web_address_of_a_known_mention_is_linked_to_it(staff, mention, raise_concern):
    concern = raise_concern(actor=staff.ta, url=MENTION_URL, description="Names a colleague")

    assert concern.mention == mention
    assert "@angry_neighbour" in mail.outbox[0].body and "should be sacked" in mail.outbox[0].body


def test_raise_a_concern_about_a_post_from_its_review_page(staff, post, client_for, django_capture_on_commit_callbacks):
    client = client_for(staff.slt)
    review = client.get(reverse("review_post", args=[post.pk])).content.decode()
    link = f"{reverse('concern_raise')}?post={post.pk}"
    assert link in review

    form = client.get(link).content.decode()
    assert "Our volcano day" in form and "Web address" not in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("concern_raise"), {"post": post.pk, "description": "Shows a child's face"}, follow=True
        )

    assert "Your concern has been sent to the headteacher" in response.content.decode()
    assert Concern.objects.get().post == post
    assert "Our volcano day" in mail.outbox[0].body


def test_the_standalone_form_needs_a_web_address_and_a_description(staff, client_for):
    response = client_for(staff.teacher).post(reverse("concern_raise"), {"url": "", "description": ""})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Give the web address of the post you are worried about." in page
    assert "Say what worries you about it" in page
    assert not Concern.objects.exists() and mail.outbox == []


def test_a_concern_about_another_schools_post_is_not_found(staff, outsider, client_for):
    theirs = Post.objects.create(account=outsider.account, author=outsider.teacher.user, text="Beta news")

    response = client_for(staff.teacher).get(reverse("concern_raise"), {"post": theirs.pk})

    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        incidents.concern_raise(actor=staff.teacher, post=theirs, description="Not ours")


def test_the_form_does_not_show_another_classs_draft(staff, school, accounts, client_for):
    year4 = make_class(school, "Year 4", 4)
    year4_teacher = make_member(school, "year4@alpha.test", [Role.CLASS_TEACHER], [year4])
    draft = Post.objects.create(account=accounts.year3, author=staff.teacher.user, text="Draft about Year 3")

    assert client_for(year4_teacher).get(reverse("concern_raise"), {"post": draft.pk}).status_code == 404
    assert client_for(staff.ta).get(reverse("concern_raise"), {"post": draft.pk}).status_code == 200
    Post.objects.filter(pk=draft.pk).update(status="published", external_id="1")
    assert client_for(year4_teacher).get(reverse("concern_raise"), {"post": draft.pk}).status_code == 200


# From concern to incident.


def test_the_headteacher_opens_an_incident_from_a_concern(staff, mention, raise_concern, client_for):
    concern = raise_concern(actor=staff.teacher, mention=mention, description="Names a colleague")
    client = client_for(staff.head)
    assert "Names a colleague" in client.get(reverse("dashboard")).content.decode()

    response = client.post(
        reverse("concern_open_incident", args=[concern.pk]), {"title": "Abuse of a teacher", "severity": "high"}
    )

    incident = Incident.objects.get()
    assert response.url == reverse("incident_detail", args=[incident.pk])
    assert incident.evidence[0]["text"] == mention.text and incident.opened_by == staff.head.user
    concern.refresh_from_db()
    assert concern.incident == incident and not concern.is_new
    [opening] = IncidentEntry.objects.filter(incident=incident)
    assert "Names a colleague" in opening.body
    assert _actions() == ["concern.raised", "incident.opened"]
    # Dealt with: no longer among the new concerns on the dashboard.
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Names a colleague" not in dashboard and "Abuse of a teacher" in dashboard


def test_a_concern_can_be_closed_without_an_incident_with_a_note(staff, raise_concern):
    concern = raise_concern(actor=staff.teacher, url="https://example.org/x", description="Typo in a post")

    with pytest.raises(ValidationError):
        incidents.concern_resolve(actor=staff.head, concern=concern, note="")
    incidents.concern_resolve(actor=staff.head, concern=concern, note="Corrected the typo")

    concern.refresh_from_db()
    assert concern.resolved_by == staff.head.user and concern.resolution_note == "Corrected the typo"
    with pytest.raises(incidents.IncidentError):
        incidents.incident_open(actor=staff.head, concern=concern, title="Late", severity="low")
    assert _actions() == ["concern.raised", "concern.resolved"]


def test_senior_leaders_read_concerns_and_incidents_but_do_not_change_them(staff, raise_concern, client_for):
    concern = raise_concern(actor=staff.teacher, url="https://example.org/x", description="Worrying reply")
    incident = incidents.incident_open(actor=staff.head, title="Worrying reply", severity="low")
    client = client_for(staff.slt)

    assert "Worrying reply" in client.get(reverse("concern_detail", args=[concern.pk])).content.decode()
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert "Only the headteacher changes an incident" in page and "Close the incident" not in page
    with pytest.raises(PermissionDenied):
        incidents.incident_add_note(actor=staff.slt, incident=incident, body="Me too")


# An incident's life.


@pytest.fixture
def incident(staff):
    return incidents.incident_open(actor=staff.head, title="Abusive replies", severity="medium")


def test_notes_actions_referral_severity_close_and_reopen_make_the_timeline(staff, incident):
    referred = timezone.now() - timedelta(hours=1)
    incidents.incident_add_note(actor=staff.head, incident=incident, body="Spoke to the parent")
    incidents.incident_record_action(actor=staff.head, incident=incident, body="Reported the account to X")
    incidents.incident_refer(actor=staff.head, incident=incident, authority="the LADO", when=referred, details="Ref 42")
    incidents.incident_set_severity(actor=staff.head, incident=incident, severity="high")
    incidents.incident_close(actor=staff.head, incident=incident, summary="Account blocked; LADO satisfied")
    incidents.incident_reopen(actor=staff.head, incident=incident, reason="The account came back")

    incident.refresh_from_db()
    assert incident.status == "open" and incident.severity == "high"
    assert incident.referred_to_outside_authority and incident.referred_to == "the LADO"
    timeline = list(incident.entries.values_list("kind", "body"))
    assert [kind for kind, _body in timeline] == ["status", "note", "action", "referral", "status", "status", "status"]
    assert timeline[3][1].startswith("Referred to the LADO on ") and timeline[3][1].endswith("Ref 42")
    assert timeline[4][1] == "Severity changed from medium to high."
    assert timeline[5][1] == "Closed. Account blocked; LADO satisfied"
    assert timeline[6][1] == "Reopened. The account came back"
    assert _actions() == [
        "incident.opened",
        "incident.note",
        "incident.action",
        "incident.referred",
        "incident.severity",
        "incident.closed",
        "incident.reopened",
    ]


def test_closing_needs_a_summary(staff, incident, client_for):
    response = client_for(staff.head).post(reverse("incident_close", args=[incident.pk]), {"summary": " "})

    assert response.status_code == 400
    assert "Summarise what happened and what was done" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "open"


def test_a_closed_incident_takes_nothing_more_until_reopened(staff, incident, client_for):
    incidents.incident_close(actor=staff.head, incident=incident, summary="Done")

    with pytest.raises(incidents.IncidentError):
        incidents.incident_add_note(actor=staff.head, incident=incident, body="Later thought")
    response = client_for(staff.head).post(
        reverse("incident_add_entry", args=[incident.pk]), {"kind": "note", "body": "Later thought"}, follow=True
    )
    assert "This incident is closed. Reopen it first." in response.content.decode()
    assert not IncidentEntry.objects.filter(body="Later thought").exists()


def test_a_referral_cannot_be_in_the_future(staff, incident):
    with pytest.raises(ValidationError):
        incidents.incident_refer(
            actor=staff.head, incident=incident, authority="the police", when=timezone.now() + timedelta(days=1)
        )
    incident.refresh_from_db()
    assert not incident.referred_to_outside_authority


def test_incidents_list_open_ones_first(staff, client_for):
    closed = incidents.incident_open(actor=staff.head, title="Old matter", severity="critical")
    incidents.incident_close(actor=staff.head, incident=closed, summary="Settled")
    incidents.incident_open(actor=staff.head, title="Low matter", severity="low")
    incidents.incident_open(actor=staff.head, title="Serious matter", severity="high")

    page = client_for(staff.head).get(reverse("incident_list")).content.decode()

    assert page.index("Serious matter") < page.index("Low matter") < page.index("Old matter")


def test_another_schools_incidents_are_not_listed(staff, outsider, client_for):
    incidents.incident_open(actor=outsider.head, title="Beta private matter", severity="low")

    for name in ("incident_list", "concern_list", "dashboard"):
        assert "Beta private matter" not in client_for(staff.head).get(reverse(name)).content.decode()


# Nothing is deleted.


@pytest.mark.parametrize("model", [MentionItem, MentionSync, Concern, Incident])
def test_the_admin_cannot_add_change_or_delete(model, django_user_model):
    request = RequestFactory().get("/")
    request.user = django_user_model.objects.create_superuser(email="operator@portal.test", password="x")
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    # The incident's timeline is shown inline, read only too.
    for inline in (inline_class(model, admin.site) for inline_class in model_admin.inlines):
        assert not inline.has_add_permission(request, None)
        assert not inline.has_change_permission(request)
        assert not inline.has_delete_permission(request)


def test_records_protect_what_they_point_at(staff, incident, post, raise_concern):
    concern = raise_concern(actor=staff.teacher, post=post, description="Worried")
    incidents.incident_add_note(actor=staff.head, incident=incident, body="Kept")

    with pytest.raises(ProtectedError):
        post.delete()
    with pytest.raises(ProtectedError):
        incident.delete()
    assert Concern.objects.filter(pk=concern.pk).exists()


def test_no_page_deletes_a_concern_or_an_incident():
    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    ours = {name for name in names if name.startswith(("concern_", "incident_", "mention_", "inbox_"))}
    assert ours and not {name for name in ours if "delete" in name or "remove" in name}


# The dashboard.


def test_dashboard_queries_do_not_grow_with_concerns_and_incidents(staff, client_for, raise_concern, mention):
    client = client_for(staff.head)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(captured)

    raise_concern(actor=staff.teacher, mention=mention, description="First")
    incidents.incident_open(actor=staff.head, title="First incident", severity="low")
    queries()
    before = queries()
    for number in range(8):
        raise_concern(actor=staff.teacher, url=f"https://example.org/{number}", description=f"Concern {number}")
        incidents.incident_open(actor=staff.head, title=f"Incident {number}", severity="medium")
    MentionItem.objects.filter(pk=mention.pk).update(flagged=True)

    assert queries() == before


def test_the_office_sees_flagged_mentions_on_the_dashboard(staff, mention, client_for):
    MentionItem.objects.filter(pk=mention.pk).update(flagged=True)

    page = client_for(staff.office).get(reverse("dashboard")).content.decode()

    assert "Flagged mentions" in page and reverse("inbox_list") in page
    assert "Concerns and incidents" not in client_for(staff.teacher).get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("name", ["incident_list", "concern_list"])
def test_the_lists_do_a_fixed_number_of_queries(name, staff, client_for, raise_concern, mention):
    client = client_for(staff.head)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name)).status_code == 200
        return len(captured)

    concern = raise_concern(actor=staff.teacher, mention=mention, description="First")
    incidents.incident_open(actor=staff.head, title="First", severity="low", concern=concern)
    queries()
    before = queries()
    for number in range(6):
        raise_concern(actor=staff.ta, url=f"https://example.org/{number}", description=f"Concern {number}")
        closed = incidents.incident_open(actor=staff.head, title=f"Incident {number}", severity="high")
        incidents.incident_close(actor=staff.head, incident=closed, summary="Done")

    assert queries() == before


# Adding a concern to an incident that is already open.


@pytest.fixture
def second_concern(staff, raise_concern):
    return raise_concern(actor=staff.ta, url="https://example.org/another/reply", description="Same person again")


def test_the_headteacher_adds_a_concern_to_an_open_incident(staff, incident, second_concern):
    incidents.concern_add_to_incident(actor=staff.head, concern=second_concern, incident=incident)

    second_concern.refresh_from_db()
    assert second_concern.incident == incident and not second_concern.is_new
    assert second_concern.resolved_by == staff.head.user
    incident.refresh_from_db()
    assert incident.evidence == [{"kind": "link", "url": "https://example.org/another/reply"}]
    added = incident.entries.last()
    assert added.kind == "status" and added.author == staff.head.user
    assert added.body.startswith(f"Added the concern raised by {staff.ta.user} on ")
    assert added.body.endswith("“Same person again”")
    assert _actions() == ["incident.opened", "concern.raised", "concern.added_to_incident"]
    event = AuditEvent.objects.get(action="concern.added_to_incident")
    assert event.actor == staff.head.user and event.data == {"incident": incident.pk, "title": "Abusive replies"}


def test_a_concern_is_added_only_to_an_open_incident_and_only_once(staff, incident, second_concern):
    incidents.incident_close(actor=staff.head, incident=incident, summary="Settled")
    with pytest.raises(incidents.IncidentError, match="closed"):
        incidents.concern_add_to_incident(actor=staff.head, concern=second_concern, incident=incident)
    assert Concern.objects.get(pk=second_concern.pk).is_new

    other = incidents.incident_open(actor=staff.head, title="Another matter", severity="low")
    incidents.concern_add_to_incident(actor=staff.head, concern=second_concern, incident=other)
    with pytest.raises(incidents.IncidentError, match="already been dealt with"):
        incidents.concern_add_to_incident(actor=staff.head, concern=second_concern, incident=other)
    assert other.entries.count() == 2


def test_only_the_headteacher_adds_a_concern_to_an_incident(staff, outsider, incident, second_concern):
    theirs = incidents.incident_open(actor=outsider.head, title="Beta matter", severity="low")
    for member, target in ((staff.slt, incident), (staff.office, incident), (outsider.head, incident)):
        with pytest.raises(PermissionDenied):
            incidents.concern_add_to_incident(actor=member, concern=second_concern, incident=target)
    with pytest.raises(PermissionDenied):
        incidents.concern_add_to_incident(actor=staff.head, concern=second_concern, incident=theirs)
    assert Concern.objects.get(pk=second_concern.pk).is_new
    assert theirs.entries.count() == 1


def test_the_concern_page_offers_only_open_incidents(staff, client_for, incident, second_concern):
    closed = incidents.incident_open(actor=staff.head, title="Settled last term", severity="high")
    incidents.incident_close(actor=staff.head, incident=closed, summary="Settled")

    page = client_for(staff.head).get(reverse("concern_detail", args=[second_concern.pk])).content.decode()

    assert "Add to an open incident" in page
    assert f'<option value="{incident.pk}">Abusive replies (medium, opened ' in page
    assert "Settled last term" not in page
    assert "Add to an open incident" not in (
        client_for(staff.slt).get(reverse("concern_detail", args=[second_concern.pk])).content.decode()
    )


def test_without_an_open_incident_the_choice_is_not_offered(staff, client_for, second_concern):
    page = client_for(staff.head).get(reverse("concern_detail", args=[second_concern.pk])).content.decode()
    assert "Open an incident" in page and "Add to an open incident" not in page


def test_adding_from_the_concern_page_shows_it_on_the_incident(staff, client_for, incident, second_concern):
    client = client_for(staff.head)

    response = client.post(
        reverse("concern_add_to_incident", args=[second_concern.pk]), {"incident": incident.pk}, follow=True
    )

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{reverse('incident_detail', args=[incident.pk])}#timeline"
    assert "The concern is added to the incident Abusive replies." in page
    assert "Added the concern raised by" in page and reverse("concern_detail", args=[second_concern.pk]) in page
    concern_page = client.get(reverse("concern_detail", args=[second_concern.pk])).content.decode()
    assert "Handled in the incident" in concern_page and "Add to an open incident" not in concern_page


def test_a_closed_incident_is_refused_from_the_page(staff, client_for, incident, second_concern):
    incidents.incident_close(actor=staff.head, incident=incident, summary="Settled")

    response = client_for(staff.head).post(
        reverse("concern_add_to_incident", args=[second_concern.pk]), {"incident": incident.pk}
    )

    assert response.status_code == 400
    assert "That incident is not open any more" in response.content.decode()
    assert Concern.objects.get(pk=second_concern.pk).is_new
    assert not AuditEvent.objects.filter(action="concern.added_to_incident").exists()


def test_choosing_no_incident_is_explained(staff, client_for, incident, second_concern):
    response = client_for(staff.head).post(reverse("concern_add_to_incident", args=[second_concern.pk]), {})

    assert response.status_code == 400
    assert "Choose the incident to add this concern to." in response.content.decode()


def test_another_schools_incident_is_not_found(staff, outsider, client_for, second_concern):
    theirs = incidents.incident_open(actor=outsider.head, title="Beta matter", severity="low")

    response = client_for(staff.head).post(
        reverse("concern_add_to_incident", args=[second_concern.pk]), {"incident": theirs.pk}
    )

    assert response.status_code == 404
    assert Concern.objects.get(pk=second_concern.pk).is_new
    assert theirs.entries.count() == 1 and not theirs.concerns.exists()
