"""One school with something on every page, for the checks that visit every page (accessibility).

Oak Tree Primary has a member of staff in every role, two classes with pupils whose consent is in
every state the register knows, posts in every status (photos with faces resolved every way, change
requests, revisions, comments), followers, blocks and follow requests, mentions, concerns and
incidents, MIS imports, a signed-off policy with a draft of the next version, rules, invitations and
a trip. Rows are made through the services wherever a person would make them, so they are what the
pages really show; the few states only a worker or the clock reaches are written directly.
"""

import datetime as dt
import io
import uuid
from dataclasses import dataclass

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.utils import timezone
from PIL import Image, ImageFilter

from accounts.models import Invitation, Membership, Role, RoleAssignment, School, SocialAccount
from accounts.services import invitation_create, invitation_revoke, membership_deactivate
from accounts.services_staff_handles import staff_handle_add
from community import audience, inbox, incidents
from community import messages as private_messages
from community.models import Concern, Incident, IncidentSeverity, MentionItem, OutgoingMessage
from consent import services as consent
from consent.imports import import_upload, suggest_mapping
from consent.models import (
    CarerRelationship,
    ConsentDecision,
    ConsentMethod,
    ConsentPurpose,
    ImportJob,
    ImportJobStatus,
    Pupil,
)
from moderation.models import Rule
from moderation.services import policy_acknowledge, policy_draft_create, policy_seed_default, seed_default_rules
from networks.base import PostPayload
from networks.local import adapter as local
from posts import services as posts
from posts.models import FaceRegion, Post, PostImage, PostStatus, TakeDownRequest
from posts.services import photos
from posts.services.trip_mode import delegation_create

from ..factories import enable_totp, make_class, make_member, make_school
from ..posts.test_images import draw_face

SCHOOL_NAME = "Oak Tree Primary"

# The MIS export the office is half way through importing (the encoding, columns and check pages
# need one). Saved by Excel on Windows, so the office was asked how its letters are written.
MIS_EXPORT = (
    "Student ID,Legal first name,Legal last name,Registration form,Leaving date,Photo consent\r\n"
    "OT001,Amara,Okafor,Year 3 Oak,,Yes\r\n"
    "OT002,Ben,Ruiz,Year 3 Oak,,No\r\n"
    "OT090,Zoë,Kowalska,Year 4 Ash,,Yes\r\n"
    "OT091,Priya,,Year 4 Ash,31/02/2026,Maybe\r\n"
).encode("cp1252")


@dataclass
class RichSchool:
    school: School
    staff: dict[str, Membership]  # by role, and "teacher4": Year 4's class teacher
    new_approver: Membership  # a senior leader who has not set up an authenticator app yet
    former: Membership  # a class teacher who has left
    # "whole_school", "year3", "year4", "x" (Year 4 on X), "bluesky" and "mastodon" (not connected)
    accounts: dict[str, SocialAccount]
    pupils: dict[str, Pupil]  # by first name, lower case
    posts: dict[str, Post]  # by status, and a few more ("changes_requested", "take_down_waiting"...)
    photo: PostImage  # on the draft, with a face of every kind
    faces: dict[str, FaceRegion]  # by resolution, "unresolved" too
    invitation_token: str
    rule: Rule
    concern: Concern
    incident: Incident
    closed_incident: Incident
    mention: MentionItem
    import_job: ImportJob
    person_handle: str  # someone on the local network
    upload: dict  # an MIS file waiting between the import's steps, as the session keeps it
    # Private messages (issue 18): from Year 3's account, by status ("draft", "submitted", "sent",
    # "failed", "unknown"); and a rude one someone sent the whole-school account, in the inbox.
    outgoing_messages: dict[str, OutgoingMessage]


def class_photo(width: int = 900, height: int = 600) -> bytes:
    """Two cartoon children the face detector finds."""
    picture = Image.new("RGB", (width, height), (205, 200, 190))
    draw_face(picture, (width // 3, height // 2), height // 3)
    draw_face(picture, (2 * width // 3, height // 2), height // 3)
    buffer = io.BytesIO()
    picture.filter(ImageFilter.GaussianBlur(2)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def build_rich_school() -> RichSchool:
    today = timezone.localdate()
    school = School.objects.create(name=SCHOOL_NAME, slug="oak-tree")
    year3 = make_class(school, "Year 3 Oak", 3)
    year4 = make_class(school, "Year 4 Ash", 4)
    staff = {
        Role.HEADTEACHER: make_member(school, "head@oaktree.test", [Role.HEADTEACHER], first_name="Helen"),
        Role.SENIOR_LEADER: make_member(school, "slt@oaktree.test", [Role.SENIOR_LEADER], first_name="Samir"),
        Role.CLASS_TEACHER: make_member(
            school, "teacher@oaktree.test", [Role.CLASS_TEACHER], [year3], first_name="Tom"
        ),
        Role.TEACHING_ASSISTANT: make_member(
            school, "ta@oaktree.test", [Role.TEACHING_ASSISTANT], [year3], first_name="Tia"
        ),
        Role.OFFICE_ADMIN: make_member(school, "office@oaktree.test", [Role.OFFICE_ADMIN], first_name="Olivia"),
        Role.COMPUTING_LEAD: make_member(school, "computing@oaktree.test", [Role.COMPUTING_LEAD], first_name="Chris"),
        "teacher4": make_member(school, "teacher4@oaktree.test", [Role.CLASS_TEACHER], [year4], first_name="Grace"),
    }
    head, slt, teacher = staff[Role.HEADTEACHER], staff[Role.SENIOR_LEADER], staff[Role.CLASS_TEACHER]
    office = staff[Role.OFFICE_ADMIN]
    for member in (head, slt, office):  # the approvers and managers: an authenticator, recovery codes
        enable_totp(member.user)
        RecoveryCodes.activate(member.user)
    # Joined today: a senior leader who has not set up an authenticator app yet.
    new_approver = make_member(school, "new-slt@oaktree.test", [Role.SENIOR_LEADER], first_name="Nia")
    # The headteacher also leads a second school of the trust, so the menu offers to switch.
    elsewhere = Membership.objects.create(user=head.user, school=make_school("Elm Tree Primary", "elm-tree"))
    RoleAssignment.objects.create(membership=elsewhere, role=Role.HEADTEACHER)
    former = make_member(school, "former@oaktree.test", [Role.CLASS_TEACHER], [year4], first_name="Fran")
    membership_deactivate(actor=head, membership=former)

    accounts = {
        "whole_school": SocialAccount.objects.create(
            school=school, kind=SocialAccount.Kind.WHOLE_SCHOOL, handle="oaktree", display_name="Oak Tree Primary"
        ),
        "year3": SocialAccount.objects.create(
            school=school, kind=SocialAccount.Kind.CLASS, class_group=year3, handle="oaktree_y3", display_name="Year 3"
        ),
        "year4": SocialAccount.objects.create(
            school=school, kind=SocialAccount.Kind.CLASS, class_group=year4, handle="oaktree_y4", display_name="Year 4"
        ),
        # On X, connected with the school's own tokens (nothing here calls X).
        "x": SocialAccount.objects.create(
            school=school,
            kind=SocialAccount.Kind.CLASS,
            class_group=year4,
            network="x",
            handle="oaktree_y4_x",
            display_name="Year 4 on X",
            credentials={"auth": "oauth1", "access_token": "t", "access_token_secret": "s", "username": "oaktree_y4_x"},
        ),
        # On Bluesky and Mastodon, not connected yet: their connection pages show how to connect.
        "bluesky": SocialAccount.objects.create(
            school=school,
            kind=SocialAccount.Kind.CLASS,
            class_group=year4,
            network="bluesky",
            handle="oaktree-y4.bsky.social",
            display_name="Year 4 on Bluesky",
            credentials={},
        ),
        "mastodon": SocialAccount.objects.create(
            school=school,
            kind=SocialAccount.Kind.CLASS,
            class_group=year4,
            network="mastodon",
            handle="oaktree_y4",
            display_name="Year 4 on Mastodon",
            credentials={},
        ),
    }

    rules = seed_default_rules(school)
    policy = policy_seed_default(school=school, signed_off_by=head)
    for member in staff.values():
        policy_acknowledge(actor=member, version=policy)
    policy_draft_create(actor=head, body=policy.body + "\n\nWe review this policy every spring.")  # to sign off

    pupils = _pupils(office=office, head=head, year3=year3, year4=year4, today=today)
    posts_by_status, photo, faces = _posts(staff=staff, accounts=accounts, pupils=pupils)

    _, token = invitation_create(actor=head, email="newteacher@oaktree.test", roles=[Role.CLASS_TEACHER])
    invitation_create(actor=office, email="supply@oaktree.test", roles=[Role.TEACHING_ASSISTANT], class_groups=[year3])
    revoked, _ = invitation_create(actor=head, email="changed-mind@oaktree.test", roles=[Role.COMPUTING_LEAD])
    invitation_revoke(actor=head, invitation=revoked)
    expired, _ = invitation_create(actor=head, email="too-late@oaktree.test", roles=[Role.SENIOR_LEADER])
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=2))

    delegation_create(
        actor=head,
        account=accounts["whole_school"],
        delegate_membership=teacher,
        starts_on=today,
        ends_on=today + dt.timedelta(days=2),
        note="Year 3 residential",
    )

    people, mention = _audience(staff=staff, accounts=accounts)
    concern, incident, closed_incident = _concerns(staff=staff, posts=posts_by_status, mention=mention)
    import_job, upload = _imports(school=school, office=office)
    outgoing_messages = _private_messages(staff=staff, accounts=accounts)

    return RichSchool(
        school=school,
        staff=staff,
        new_approver=new_approver,
        former=former,
        accounts=accounts,
        pupils=pupils,
        posts=posts_by_status,
        photo=photo,
        faces=faces,
        invitation_token=token,
        rule=next(rule for rule in rules if rule.type == "hashtags"),
        concern=concern,
        incident=incident,
        closed_incident=closed_incident,
        mention=mention,
        import_job=import_job,
        person_handle=people[0].handle,
        upload=upload,
        outgoing_messages=outgoing_messages,
    )


def _pupils(*, office, head, year3, year4, today) -> dict[str, Pupil]:
    admitted = today - dt.timedelta(days=200)

    def pupil(first, surname, klass, **extra) -> Pupil:
        return consent.pupil_create(
            actor=office, first_name=first, surname=surname, class_group=klass, year_group=klass.year_group, **extra
        )

    def decide(p, purpose, decision=ConsentDecision.GIVEN, *, carer=None, relationship=CarerRelationship.MOTHER, **kw):
        return consent.consent_record(
            actor=office,
            pupil=p,
            purpose=purpose,
            decision=decision,
            given_by_name=carer or f"Parent of {p.first_name}",
            relationship=relationship,
            method=ConsentMethod.ADMISSION_FORM,
            decided_on=kw.pop("decided_on", admitted),
            **kw,
        )

    pupils = {
        "amara": pupil("Amara", "Okafor", year3, mis_id="OT001"),
        "ben": pupil("Ben", "Ruiz", year3, mis_id="OT002"),
        "cleo": pupil("Cleo", "Hart", year3),
        "dev": pupil("Dev", "Patel", year3, other_names="Devvy"),
        "esme": pupil("Esme", "Walker", year3),
        "finn": pupil("Finn", "O'Brien", year3),
        "gita": pupil("Gita", "Singh", year4),
        "harry": pupil("Harry", "Nowak", year4),
        "isla": pupil("Isla", "Murphy", year4, preferred_name="Izzy"),
    }
    for name in ("amara", "dev", "gita"):  # photo and first name
        decide(pupils[name], ConsentPurpose.SOCIAL_PHOTO)
        decide(pupils[name], ConsentPurpose.SOCIAL_NAME)
        decide(pupils[name], ConsentPurpose.WEBSITE_PHOTO)
    decide(pupils["ben"], ConsentPurpose.SOCIAL_PHOTO, ConsentDecision.REFUSED)  # first name only
    decide(pupils["ben"], ConsentPurpose.SOCIAL_NAME)
    decide(pupils["cleo"], ConsentPurpose.SOCIAL_PHOTO)  # never published, whatever the form says
    consent.pupil_set_never_publish(actor=head, pupil=pupils["cleo"], reason="A court order restricts publishing.")
    withdrawn = decide(pupils["esme"], ConsentPurpose.SOCIAL_PHOTO)
    decide(pupils["esme"], ConsentPurpose.SOCIAL_NAME)
    consent.consent_withdraw(actor=office, record=withdrawn)
    decide(  # expired
        pupils["finn"],
        ConsentPurpose.SOCIAL_PHOTO,
        decided_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=30),
    )
    decide(pupils["isla"], ConsentPurpose.SOCIAL_PHOTO, carer="Mother of Isla")  # carers who disagree
    decide(
        pupils["isla"],
        ConsentPurpose.SOCIAL_PHOTO,
        ConsentDecision.REFUSED,
        carer="Father of Isla",
        relationship=CarerRelationship.FATHER,
    )
    decide(pupils["harry"], ConsentPurpose.SOCIAL_PHOTO)  # then left the school
    left_on = today - dt.timedelta(days=10)
    pupils["harry"] = consent.pupil_update(actor=office, pupil=pupils["harry"], leaving_date=left_on)
    return pupils


def _posts(*, staff, accounts, pupils):
    head, slt, teacher = staff[Role.HEADTEACHER], staff[Role.SENIOR_LEADER], staff[Role.CLASS_TEACHER]
    ta, teacher4 = staff[Role.TEACHING_ASSISTANT], staff["teacher4"]
    year3, whole_school = accounts["year3"], accounts["whole_school"]
    result = {}

    def submitted(author, account, text, **kw):
        post = posts.post_create(actor=author, account=account, text=text, **kw)
        posts.post_submit(actor=author, post=post)
        return post

    # A draft with a photo whose faces are resolved every way there is (and one not yet).
    draft = posts.post_create(actor=teacher, account=year3, text="Year 3 planted sunflowers today #OakTreeY3")
    photo = posts.post_add_image(actor=teacher, post=draft, data=class_photo(), alt_text="Two children planting seeds.")
    detected = list(photo.faces.all())
    assert len(detected) == 2, f"the face detector found {len(detected)} of the 2 faces on the class photo"
    drawn = [photos.face_add(actor=teacher, image=photo, x=20 + 60 * n, y=20, w=50, h=50) for n in range(3)]
    faces = dict(zip(["pupil", "not_face", "not_pupil", "redacted", "unresolved"], detected + drawn, strict=True))
    photos.face_resolve(actor=teacher, face=faces["pupil"], resolution="pupil", pupil=pupils["amara"])
    photos.face_resolve(actor=teacher, face=faces["not_pupil"], resolution="not_pupil")
    photos.face_resolve(actor=teacher, face=faces["redacted"], resolution="redacted")
    photos.face_resolve(actor=teacher, face=faces["not_face"], resolution="not_face")
    photos.photo_tag(actor=teacher, image=photo, pupil=pupils["dev"])
    result["draft"] = draft

    # Sent back with a change asked for, then changed: the author sees the request and the changes.
    changes = submitted(teacher, year3, "We went to the musem with Ben today.")
    posts.post_comment(actor=head, post=changes, body="Which museum was it?")
    posts.post_request_changes(actor=head, post=changes, comment="Please say which museum it was.")
    posts.post_update(actor=teacher, post=changes, text="We went to the Natural History museum!")
    result["changes_requested"] = changes

    # Waiting: one with a photo and findings, one from the assistant, one for the whole school.
    waiting = posts.post_create(actor=teacher, account=year3, text="Amara won the spelling bee!! Well done")
    image = posts.post_add_image(actor=teacher, post=waiting, data=class_photo(), alt_text="Amara with her cup.")
    for face in image.faces.all():
        photos.face_resolve(actor=teacher, face=face, resolution="redacted")
    posts.post_submit(actor=teacher, post=waiting)
    result["submitted"] = waiting
    result["submitted_ta"] = submitted(ta, year3, "Reading corner is open at lunchtimes this week.")
    result["submitted_whole_school"] = submitted(
        slt,
        whole_school,
        "Harvest festival is on Friday at 2pm #OakTreeHarvest. Read more: https://example.org/harvest",
    )

    scheduled = submitted(teacher, year3, "Sports day is next Wednesday.")
    posts.post_approve(actor=head, post=scheduled, publish_at=timezone.now() + dt.timedelta(days=3))
    result["scheduled"] = scheduled

    published = posts.post_create(actor=teacher, account=year3, text="Our class assembly was about kindness.")
    image = posts.post_add_image(actor=teacher, post=published, data=class_photo(), alt_text="The class on stage.")
    for face in image.faces.all():
        photos.face_resolve(actor=teacher, face=face, resolution="redacted")
    posts.post_submit(actor=teacher, post=published)
    posts.post_approve(actor=head, post=published, now=True)
    result["published"] = published

    to_take_down = submitted(teacher4, accounts["year4"], "Gita read her poem to the whole school.")
    posts.post_approve(actor=slt, post=to_take_down, now=True)
    TakeDownRequest.objects.create(post=to_take_down, reason="Gita's carers withdrew consent for her first name.")
    result["take_down_waiting"] = to_take_down

    taken_down = submitted(teacher, year3, "Trip photos coming soon.")
    posts.post_approve(actor=head, post=taken_down, now=True)
    posts.post_take_down(actor=head, post=Post.objects.get(pk=taken_down.pk))  # published by now
    result["taken_down"] = taken_down

    rejected = submitted(teacher, year3, "Look at this funny video of the staff room!")
    posts.post_reject(actor=slt, post=rejected, reason="Staff room posts are not for the class account.")
    result["rejected"] = rejected

    withdrawn = submitted(teacher, year3, "Cake sale tomorrow.")
    posts.post_withdraw(actor=teacher, post=withdrawn)
    result["withdrawn"] = withdrawn

    # Where only the publisher takes a post: half way out, and failed after its retries.
    approved = submitted(teacher, year3, "Swimming lessons start next term.")
    failed = submitted(teacher, year3, "Our Year 3 choir sang at the care home.")
    for post, status in ((approved, PostStatus.PUBLISHING), (failed, PostStatus.FAILED)):
        Post.objects.filter(pk=post.pk).update(
            status=status,
            decided_by=head.user,
            decided_at=timezone.now(),
            publishing_started_at=timezone.now(),
            failure_reason="The network said the account is suspended." if status == PostStatus.FAILED else "",
        )
    result["publishing"], result["failed"] = approved, failed

    # A repost (issue 18): the whole-school account shares a post of the local network's, waiting
    # for approval, with the post it shares read for the approver.
    shared = local.LocalNetwork(year3).publish(PostPayload(text="Well done to everyone who ran the fun run!"))
    repost, _ = posts.post_draft_create(
        actor=slt, account=whole_school, client_token=uuid.uuid4(), repost_url=shared.url
    )
    posts.post_send_for_approval(actor=slt, post=repost)
    result["repost_submitted"] = repost
    return {name: Post.objects.get(pk=post.pk) for name, post in result.items()}, photo, faces


def _audience(*, staff, accounts):
    head, office = staff[Role.HEADTEACHER], staff[Role.OFFICE_ADMIN]
    whole_school = accounts["whole_school"]
    now = timezone.now()
    people = [
        local.simulate_person(
            "reading_with_rosie",
            display_name="Rosie Patel",
            bio="Mum of two and school governor.",
            created_at=now - dt.timedelta(days=1900),
            posts_count=420,
        ),
        local.simulate_person(
            "the_grumpy_truth",
            display_name="Grumpy Truth",
            bio="Teachers are scum. Unfollow if offended.",
            created_at=now - dt.timedelta(days=200),
            posts_count=2600,
        ),
        local.simulate_person("user48213907", created_at=now - dt.timedelta(days=3)),
        local.simulate_person("spam_bot_77", display_name="Win a prize", bio="Click my link!!!"),
    ]
    for person in people:
        local.simulate_follow(person, whole_school)
    # The class teacher's own account follows the school and is public: marked as staff in the
    # follower review, a reminder on her home page, a row on her own accounts page (issue 18).
    staff_handle_add(actor=staff[Role.CLASS_TEACHER], network="local", handle="ms_oak_reads")
    local.simulate_follow(local.simulate_person("ms_oak_reads", display_name="Ms Oak"), whole_school)
    local.simulate_follow(people[0], accounts["year3"])
    local.simulate_mention(people[0], whole_school, "Thank you @oaktree for a lovely harvest festival!")
    local.simulate_mention(people[1], whole_school, "@oaktree your teachers are useless idiots.")
    for account in (whole_school, accounts["year3"]):
        audience.sync_followers(account)
        inbox.fetch_mentions(account)
    kind = whole_school.followers.get(handle="reading_with_rosie")
    audience.follower_accept(actor=office, follower=kind)
    spam = whole_school.followers.get(handle="spam_bot_77")
    audience.follower_block(actor=office, follower=spam, reason="Sends spam links.")
    mention = MentionItem.objects.get(author_handle="the_grumpy_truth")
    lifted = audience.block_user(
        actor=office,
        account=accounts["year3"],
        user=local.network_user(people[2]),
        reason="Blocked by mistake.",
    ).blocked
    audience.block_lift(actor=head, blocked=lifted, reason="A parent's new account, not a stranger.")

    local.simulate_person("booktrust", display_name="BookTrust", bio="Getting children reading.")
    local.simulate_person("gadget_deals", display_name="Gadget Deals", bio="Cheap tablets, today only.")
    audience.follow_request_propose(
        actor=staff[Role.CLASS_TEACHER], account=whole_school, handle="booktrust", why="Reading ideas for parents."
    )
    declined = audience.follow_request_propose(
        actor=staff[Role.COMPUTING_LEAD], account=whole_school, handle="gadget_deals", why="Cheap tablets."
    )
    audience.follow_request_decline(actor=head, follow_request=declined, note="Adverts, not education.")
    followed = audience.follow_request_propose(
        actor=office, account=whole_school, handle="reading_with_rosie", why="Our chair of governors."
    )
    audience.follow_request_approve(actor=head, follow_request=followed)
    return people, mention


def _concerns(*, staff, posts, mention):
    head, teacher, ta = staff[Role.HEADTEACHER], staff[Role.CLASS_TEACHER], staff[Role.TEACHING_ASSISTANT]
    about_mention = incidents.concern_raise(
        actor=teacher, mention=mention, description="This is the third message like it this week."
    )
    about_post = incidents.concern_raise(
        actor=ta, post=posts["published"], description="A child in the back row may not have photo consent."
    )
    incidents.concern_raise(
        actor=teacher, url="https://example.org/forum/thread/12", description="A parent forum names our class."
    )
    incident = incidents.incident_open(
        actor=head, title="Abuse aimed at Year 3 staff", severity=IncidentSeverity.HIGH, concern=about_mention
    )
    incidents.incident_add_note(actor=head, incident=incident, body="Spoke to the class teacher.")
    incidents.incident_record_action(actor=head, incident=incident, body="Muted the account on the network.")
    incidents.incident_refer(
        actor=head,
        incident=incident,
        authority="Police (101)",
        when=timezone.now() - dt.timedelta(hours=1),
        details="Reference 4471.",
    )
    incidents.concern_resolve(actor=head, concern=about_post, note="Checked: every child has consent.")
    closed = incidents.incident_open(actor=head, title="Old photo shared by a parent", severity=IncidentSeverity.LOW)
    incidents.incident_close(actor=head, incident=closed, summary="The parent took the photo down.")
    return about_mention, incident, closed


def _imports(*, school, office):
    """One import done with warnings, one that failed, and a new file waiting between the steps."""
    mapping = {"Student ID": "mis_id", "Legal first name": "first_name"}
    now = timezone.now()
    job = ImportJob.objects.create(
        school=school,
        requested_by=office.user,
        stored_file="imports/done.csv",
        file_name="arbor-export-september.csv",
        mapping=mapping,
        status=ImportJobStatus.DONE,
        created=12,
        updated=3,
        consents_recorded=20,
        unchanged=40,
        warnings=[[4, "The leaving date “31/02/2026” is not a date: left empty."]],
        started_at=now - dt.timedelta(minutes=3),
        finished_at=now - dt.timedelta(minutes=2),
    )
    ImportJob.objects.create(
        school=school,
        requested_by=office.user,
        stored_file="imports/failed.csv",
        file_name="sims-export.csv",
        mapping=mapping,
        status=ImportJobStatus.FAILED,
        error_message="2 rows could not be imported, so nothing was.",
        errors=[[3, "No first name."], [7, "The class “Year 9” is not one of the school's classes."]],
        started_at=now - dt.timedelta(minutes=30),
        finished_at=now - dt.timedelta(minutes=29),
    )
    key, parsed = import_upload(actor=office, data=MIS_EXPORT)
    upload = {"key": key, "file_name": "oak-tree-mis.csv", "school_id": school.pk}
    upload.update(mapping=suggest_mapping(parsed.headers), encoding="cp1252", encoding_asked=True)
    return job, upload


def _private_messages(*, staff, accounts) -> dict[str, OutgoingMessage]:
    teacher, head = staff[Role.CLASS_TEACHER], staff[Role.HEADTEACHER]
    year3, whole_school = accounts["year3"], accounts["whole_school"]

    def write(text: str, detail: str) -> OutgoingMessage:
        return private_messages.message_save_draft(
            actor=teacher,
            account=year3,
            recipient_handle="reading_with_rosie",
            purpose="educational",
            purpose_detail=detail,
            text=text,
        )

    found = {"draft": write("Would you read to Year 3 one afternoon in the spring term?", "Author visit")}
    found["submitted"] = private_messages.message_submit(
        actor=teacher, message=write("Could you visit Year 3 on a Thursday afternoon to read with them?", "Reading")
    )
    for status, error in (
        ("sent", ""),
        ("failed", "There is nobody called @reading_with_rosie on the network."),
        ("unknown", "The network did not answer in time. The message may have been sent."),
    ):
        message = write(f"A note about our reading morning ({status}).", "Reading morning")
        OutgoingMessage.objects.filter(pk=message.pk).update(
            status=status,
            reviewed_by=head.user,
            reviewed_at=timezone.now(),
            error=error,
            sent_at=timezone.now() if status == "sent" else None,
            network_message_id="1" if status == "sent" else "",
        )
        message.refresh_from_db()
        found[status] = message
    rude = local.person(handle="user48213907")
    local.simulate_message(rude, whole_school, "Your teachers are idiots and I will tell everyone.")
    inbox.fetch_messages(whole_school)
    return found
