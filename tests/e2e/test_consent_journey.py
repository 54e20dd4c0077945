"""Issue 3, end to end: the office imports Year 3 from the MIS, a parent later withdraws photo consent
for a child in a post that is already public, and the headteacher takes the post down."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from consent.models import CarerRelationship, ConsentMethod, ConsentPurpose, Pupil
from consent.services import consent_record
from networks.base import PostPayload
from networks.local.adapter import LocalNetwork
from posts.models import Post, PostImage, PostStatus
from posts.services import post_create

from ..factories import make_class, totp_code
from .ipad import assert_big_enough, assert_fits_the_ipad
from .navigation import go_to
from .test_sign_in_journeys import CODE_URL, dashboard_url, fill_sign_in_form, wait_for_a_fresh_code_window

FILE_NAME = "Arbor export - Year 3.csv"
# Excel's "CSV UTF-8" on Windows: a byte order mark, CRLF line endings, UK dates (3 September, not
# 9 March), and names with accents.
ARBOR_EXPORT = (
    "UPN,Legal first name,Legal last name,Registration form,Year group,Photo consent,Name consent,Consent date\r\n"
    "A123456789012,Amara,Okafor,Year 3,Year 3,Yes,Yes,03/09/2024\r\n"
    "B123456789012,Zoë,Hughes,Year 3,Year 3,Yes,No,03/09/2024\r\n"
    "C123456789012,Siobhán,Murphy,Year 3,Year 3,No,Yes,04/09/2024\r\n"
    "D123456789012,Oliver,Bennett,Year 3,Year 3,,,\r\n"
)
POST_TEXT = "Year 3 built paper volcanoes in science this week and made them erupt!"


def sign_in_with_code(page: Page, live_server, email: str, secret: str):
    """Password, then the six-digit code from the authenticator app; ends on the dashboard."""
    page.goto(live_server.url + "/")
    fill_sign_in_form(page, email)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(CODE_URL)
    wait_for_a_fresh_code_window(page)
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(dashboard_url(live_server))


def open_from_menu(page: Page, link: str):
    go_to(page, link)


def expect_column_holds(page: Page, column: str, holds: str):
    """The choice a person sees in the "Holds" select for one column of the file."""
    expect(page.get_by_label(column, exact=True).locator("option:checked")).to_have_text(holds)


def figure(page: Page, caption: str):
    """The big number on the card captioned, e.g., "new pupils"."""
    return page.locator("section.card").filter(has_text=caption).locator(".figure")


def pupil_row(register, name: str):
    """The register's row for one pupil, found by the row header that names them."""
    return register.get_by_role("row").filter(has=register.page.get_by_role("rowheader", name=name))


def publish_last_week(staff, accounts, pupil: Pupil) -> Post:
    """The class teacher's post with a photo tagging `pupil`, public on the local network since last week."""
    post = post_create(actor=staff.teacher, account=accounts.year3, text=POST_TEXT)
    image = PostImage.objects.create(post=post, alt_text="Children with paper volcanoes", width=800, height=600)
    image.tagged_pupils.set([pupil])
    ref = LocalNetwork(accounts.year3).publish(PostPayload(text=post.text, media=[]))
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHED,
        external_id=ref.id,
        external_url=ref.url,
        published_at=timezone.now() - dt.timedelta(days=7),
    )
    return post


def test_import_withdraw_and_take_down(
    desktop: Page, open_page, live_server, staff, accounts, settings, tmp_path, screenshot_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # where the upload waits between the import pages
    export = tmp_path / FILE_NAME
    export.write_bytes(ARBOR_EXPORT.encode("utf-8-sig"))
    assert not Pupil.objects.exists()

    # The office admin imports Year 3 from the MIS.
    office = desktop
    sign_in_with_code(office, live_server, "office@alpha.test", staff.totp["office@alpha.test"])
    expect(office.get_by_role("heading", level=1)).to_have_text("Hello, Office")
    open_from_menu(office, "Pupils and consent")
    expect(office.get_by_role("heading", name="Pupils and consent")).to_be_visible()
    expect(office.get_by_text("No pupils on roll yet.")).to_be_visible()
    office.get_by_role("link", name="Import from MIS (CSV)").click()

    expect(office.get_by_role("heading", name="Import pupils and consent from the MIS")).to_be_visible()
    office.get_by_label("CSV file from the MIS").set_input_files(export)
    office.get_by_role("button", name="Upload and match the columns").click()

    expect(office.get_by_role("heading", name="Match the columns")).to_be_visible()
    expect(office.get_by_text(f"“{FILE_NAME}” has 4 pupil rows.")).to_be_visible()
    for column, holds in (
        ("UPN", "MIS id (needed)"),
        ("Legal first name", "First name (needed)"),
        ("Legal last name", "Surname (needed)"),
        ("Registration form", "Class (needed)"),
        ("Year group", "Year group"),
        ("Consent date", "Consent date"),
        ("Photo consent", "Consent: photo on social media"),
        ("Name consent", "Consent: first name on social media"),
    ):
        expect_column_holds(office, column, holds)
    # The office can correct any guess: say "Year group" is better left alone.
    office.get_by_label("Year group", exact=True).select_option(label="Ignore this column")
    expect_column_holds(office, "Year group", "Ignore this column")
    office.get_by_role("button", name="Check what the import would do").click()

    expect(office.get_by_role("heading", name=f"What importing “{FILE_NAME}” would do")).to_be_visible()
    expect(office.get_by_text("Nothing has changed yet.")).to_be_visible()
    expect(figure(office, "new pupils")).to_have_text("4")
    expect(figure(office, "pupils updated")).to_have_text("0")
    expect(figure(office, "consent decisions recorded")).to_have_text("6")
    new_pupils = office.locator("section").filter(has=office.get_by_role("heading", name="New pupils"))
    for name in ("Amara Okafor", "Zoë Hughes", "Siobhán Murphy", "Oliver Bennett"):
        expect(new_pupils.get_by_role("row").filter(has_text=name)).to_have_count(1)
    amaras_photo = office.get_by_role("row").filter(has_text="Amara Okafor").filter(has_text="Photo on social media")
    expect(amaras_photo).to_contain_text("Yes")
    expect(amaras_photo).to_contain_text("3 Sep 2024")  # 03/09/2024 read the British way
    expect(office.get_by_role("alert")).to_have_count(0)
    office.screenshot(path=screenshot_path("consent-import-dry-run.png"), full_page=True)
    office.get_by_role("button", name="Import", exact=True).click()

    expect(office.get_by_role("heading", name="Import from the MIS: imported")).to_be_visible()
    expect(office.get_by_role("status")).to_contain_text("Imported at")
    expect(figure(office, "new pupils")).to_have_text("4")
    office.get_by_role("link", name="Back to the register").click()

    expect(office.get_by_role("heading", name="Pupils and consent")).to_be_visible()
    # The office picks the class: its four pupils, each answer in words.
    office.get_by_label("Class").select_option(label="Year 3")
    office.get_by_role("button", name="Show pupils").click()
    register = office.get_by_role("table", name="Year 3: consent for photos and first names")
    expect(office.get_by_role("status")).to_have_text("4 pupils on roll in Year 3.")
    for name, photo, first_name, may_appear in (
        ("Amara Okafor", "Given", "Given", "Photo and first name"),
        ("Zoë Hughes", "Given", "Refused", "Photo only"),
        ("Siobhán Murphy", "Refused", "Given", "First name only"),
        ("Oliver Bennett", "No answer yet", "No answer yet", "Neither"),
    ):
        expect(pupil_row(register, name).get_by_role("cell")).to_have_text([photo, first_name, may_appear])
    # A name typed without its accent still finds her, and the class stays chosen.
    office.get_by_label("Name").fill("siobhan")
    office.get_by_role("button", name="Show pupils").click()
    expect(office).to_have_url(re.compile(r"\?q=siobhan&class=\d+&"))
    expect(register.get_by_role("rowheader")).to_have_text(["Siobhán Murphy"])

    # Last week the class teacher's post with Amara in the photo went out; the public can see it.
    amara = Pupil.objects.get(first_name="Amara", surname="Okafor")
    publish_last_week(staff, accounts, amara)
    public = open_page(viewport=desktop.viewport_size)
    public.goto(f"{live_server.url}/local/alpha_year3/")
    expect(public.get_by_text(POST_TEXT)).to_be_visible()

    # Amara's parent withdraws photo consent; the office finds her by name and records it on her page.
    open_from_menu(office, "Pupils and consent")
    office.get_by_label("Name").fill("Amara")
    office.get_by_role("button", name="Show pupils").click()
    office.get_by_role("table").get_by_role("link", name="Amara Okafor").click()
    expect(office.get_by_role("heading", name="Amara Okafor", level=1)).to_be_visible()
    photo_consent = office.get_by_role("listitem").filter(has_text="Photo on social media")
    expect(photo_consent).to_contain_text("Consent given")
    history = office.get_by_role("table")
    photo_record = history.get_by_role("row").filter(has_text="Photo on social media")
    photo_record.get_by_role("button", name="Withdraw").click()

    expect(office.get_by_role("status")).to_contain_text(
        "Photo on social media consent for Amara is withdrawn from today."
    )
    # The badge a person reads at the end of the line says it in a word.
    expect(photo_consent).to_have_text(
        re.compile(r"^Photo on social media\s*Consent was withdrawn on .+\.\s*Withdrawn\s*$")
    )
    expect(photo_record).to_contain_text("withdrawn")
    expect(photo_record.get_by_role("button", name="Withdraw")).to_have_count(0)
    # Her name consent stands.
    expect(office.get_by_role("listitem").filter(has_text="First name on social media")).to_contain_text(
        "Consent given"
    )

    # The headteacher is told, and takes the post down.
    head = open_page(viewport=desktop.viewport_size)
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    waiting = head.locator("section.card").filter(has=head.get_by_role("heading", name="Posts to take down"))
    expect(waiting).to_contain_text("1 published post shows a pupil whose consent has changed.")
    waiting.get_by_role("link", name="Review and take down").click()

    expect(head.get_by_role("heading", name="Posts to take down", level=1)).to_be_visible()
    request = head.locator("section").filter(has=head.get_by_role("heading", name=re.compile("@alpha_year3")))
    expect(request).to_contain_text(POST_TEXT)
    expect(request).to_contain_text(re.compile(r"Why:.*consent for Amara was withdrawn"))
    head.screenshot(path=screenshot_path("consent-take-down.png"), full_page=True)
    request.get_by_role("button", name="Take down now").click()

    expect(head.get_by_role("status")).to_contain_text("The post was removed from")
    expect(head.get_by_text("Nothing to take down.")).to_be_visible()
    expect(head.get_by_role("heading", name="Done")).to_be_visible()

    public.reload()
    expect(public.get_by_role("heading", name="Alpha Year3")).to_be_visible()
    expect(public.get_by_text(POST_TEXT)).to_have_count(0)


def test_office_finds_pupils_on_an_ipad_by_class_name_and_page(ipad: Page, live_server, staff, year3, screenshot_path):
    """A large class on the iPad: fifty pupils to a page, found by name, the never-publish ones in words."""
    year4 = make_class(year3.school, "Year 4", 4)
    Pupil.objects.bulk_create(
        Pupil(school=year3.school, class_group=year3, first_name=f"Child{n:02d}", surname="Example") for n in range(53)
    )
    zoe = Pupil.objects.create(school=year3.school, class_group=year3, first_name="Zoë", surname="Hughes")
    for purpose, decision in ((ConsentPurpose.SOCIAL_PHOTO, "given"), (ConsentPurpose.SOCIAL_NAME, "refused")):
        consent_record(
            actor=staff.office,
            pupil=zoe,
            purpose=purpose,
            decision=decision,
            given_by_name="Ruth Hughes",
            relationship=CarerRelationship.MOTHER,
            method=ConsentMethod.ADMISSION_FORM,
            decided_on=timezone.localdate() - dt.timedelta(days=30),
        )
    Pupil.objects.create(
        school=year3.school, class_group=year3, first_name="Rebecca", surname="Cole", other_names="Bex"
    )
    Pupil.objects.create(
        school=year3.school,
        class_group=year4,
        first_name="Maya",
        surname="Stone",
        never_publish=True,
        never_publish_reason="Looked-after child",
        never_publish_set_at=timezone.now(),
    )

    office = ipad
    sign_in_with_code(office, live_server, "office@alpha.test", staff.totp["office@alpha.test"])
    open_from_menu(office, "Pupils and consent")
    expect(office.get_by_role("heading", name="Pupils and consent")).to_be_visible()

    office.get_by_label("Class").select_option(label="Year 3")
    show = office.get_by_role("button", name="Show pupils")
    assert_big_enough(show, office.get_by_label("Name"), office.get_by_label("Class"))
    show.tap()
    register = office.get_by_role("table", name=re.compile("^Year 3: consent for photos and first names"))
    expect(office.get_by_role("status")).to_have_text("55 pupils on roll in Year 3: 1 to 50 on this page.")
    expect(register.get_by_role("rowheader")).to_have_count(50)
    assert_fits_the_ipad(office)
    office.screenshot(path=screenshot_path("consent-register-ipad.png"), full_page=True)

    pages = office.get_by_role("navigation", name="Pages of pupils")
    next_page = pages.get_by_role("link", name="Next page")
    assert_big_enough(next_page, pages.get_by_role("link", name="Page 2"))
    next_page.tap()
    expect(office.get_by_role("status")).to_have_text("55 pupils on roll in Year 3: 51 to 55 on this page.")
    expect(register.get_by_role("rowheader")).to_have_count(5)
    expect(pages.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")

    # Her name without its accent, in the class already chosen: her answers in words.
    office.get_by_label("Name").tap()
    office.get_by_label("Name").fill("zoe")
    office.get_by_role("button", name="Show pupils").tap()
    expect(office.get_by_role("status")).to_have_text("1 pupil found.")
    expect(pupil_row(register, "Zoë Hughes").get_by_role("cell")).to_have_text(["Given", "Refused", "Photo only"])

    # A nickname finds the child it belongs to.
    office.get_by_label("Name").fill("bex")
    office.get_by_role("button", name="Show pupils").tap()
    expect(register.get_by_role("rowheader")).to_have_text(["Rebecca Cole Also called: Bex"])

    # Every class, only the pupils who must never appear: marked so in words, never with the reason.
    office.get_by_label("Name").fill("")
    office.get_by_label("Class").select_option(label="All classes")
    office.get_by_label("Only pupils marked “Do not publish”").tap()
    office.get_by_role("button", name="Show pupils").tap()
    everyone = office.get_by_role("table", name=re.compile("^All classes"))
    expect(everyone.get_by_role("rowheader", name="Year 4")).to_be_visible()
    expect(pupil_row(everyone, "Maya Stone")).to_contain_text("Do not publish")
    expect(pupil_row(everyone, "Maya Stone").get_by_role("cell")).to_have_text(
        ["Do not publish", "Do not publish", "Neither"]
    )
    expect(office.get_by_text("Looked-after child")).to_have_count(0)
    assert_fits_the_ipad(office)
