"""Issue 18, end to end on the local network: a class teacher, on the class iPad, writes a private
message to organise a visit; the headteacher approves it at her desk and the portal sends it. Then a
rude private message to the whole-school account shows in the inbox flagged, and the office admin
blocks its sender."""

from playwright.sync_api import Page, expect

from community.models import OutgoingMessage
from moderation.services import policy_acknowledge, policy_seed_default, seed_default_rules
from networks.local import adapter as local
from networks.local.models import LocalNetworkDirectMessage, LocalNetworkRelation

from .ipad import assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code
from .test_live_findings_journey import sign_in, tap_in_menu

VISIT = "Hello! Could Year 3 visit the museum on Friday 12 March for the Romans workshop? We would be 28 children."
RUDE = "Your teachers are idiots and your school is shit."


def test_a_message_about_a_visit_is_approved_and_sent_and_a_rude_one_is_blocked(
    desktop: Page, ipad: Page, live_server, school, staff, accounts, screenshot_path
):
    seed_default_rules(school)
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    museum = local.simulate_person("town_museum", display_name="Town Museum")

    # The teacher writes the message on the iPad and sends it for approval.
    teacher = ipad
    sign_in(teacher, live_server, "teacher@alpha.test", tap=True)
    tap_in_menu(teacher, "Private messages")
    expect(teacher.get_by_role("heading", name="Private messages", level=1)).to_be_visible()
    teacher.get_by_role("link", name="Write a message").tap()
    # Year 3's account is the only one she writes for, so it is already chosen.
    expect(teacher.get_by_label("From which account").locator("option:checked")).to_contain_text("@alpha_year3")
    teacher.get_by_label("To (their handle on the network)").fill("@town_museum")
    teacher.get_by_role("radio", name="Organising a visit", exact=True).check()
    teacher.get_by_label("Which visit, visitor or learning (optional)").fill("Romans workshop")
    teacher.get_by_label("Message", exact=True).fill(VISIT)
    assert_fits_the_ipad(teacher)
    teacher.get_by_role("button", name="Send for approval").tap()
    expect(teacher.get_by_role("heading", name="Message from @alpha_year3 to @town_museum")).to_be_visible()
    expect(teacher.get_by_text("Waiting for approval")).to_be_visible()
    message = OutgoingMessage.objects.get()
    assert message.status == OutgoingMessage.Status.SUBMITTED and message.purpose == "visit"

    # The headteacher approves it; the portal sends it at once.
    head = desktop
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    open_from_menu(head, "Private messages")
    head.get_by_role("link", name="From @alpha_year3 to @town_museum").click()
    expect(head.get_by_text(VISIT)).to_be_visible()
    head.screenshot(path=screenshot_path("message-review.png"), full_page=True)
    head.get_by_role("button", name="Approve and send").click()
    expect(head.get_by_text("Approved: the portal is sending it.")).to_be_visible()
    head.reload()
    expect(head.locator(".badge.status")).to_have_text("Sent")
    [sent] = LocalNetworkDirectMessage.objects.filter(direction="from_account")
    assert (sent.person, sent.text) == (museum, VISIT)

    # Someone sends the whole-school account a rude message: flagged in the inbox, then blocked.
    troll = local.simulate_person("angry_neighbour_1987", display_name="Angry Neighbour")
    local.simulate_message(troll, accounts.whole_school, RUDE)
    office = head  # the same browser, now the office admin
    office.context.clear_cookies()
    sign_in_with_code(office, live_server, "office@alpha.test", staff.totp["office@alpha.test"])
    open_from_menu(office, "Mentions and replies")
    office.get_by_role("button", name="Check for new mentions and messages now").click()
    expect(office.get_by_text("1 new private message.")).to_be_visible()
    item = office.get_by_role("article").filter(has_text="angry_neighbour_1987")
    expect(item).to_contain_text("Private message")
    expect(item).to_contain_text("Flagged")
    expect(item.get_by_role("button", name="Hide reply")).to_have_count(0)
    office.screenshot(path=screenshot_path("message-inbox-flagged.png"), full_page=True)
    item.get_by_text("Block @angry_neighbour_1987").click()
    item.get_by_label("Why block them?").fill("Abusive private message to the school")
    item.get_by_role("button", name="Block", exact=True).click()
    expect(office.get_by_text("@angry_neighbour_1987 is blocked from @alpha_school.")).to_be_visible()
    assert LocalNetworkRelation.objects.filter(user=troll, account=accounts.whole_school, kind="block").exists()
