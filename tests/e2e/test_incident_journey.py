"""Issue 7, end to end: someone on the network sends the school abuse; a class teacher on her iPad
raises a concern about it; the headteacher is emailed at once, opens an incident from the
dashboard, records a note, an action and a referral to the police, and closes it with a summary."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

from community.inbox import fetch_mentions
from community.models import Incident, MentionItem
from moderation.services import seed_default_rules
from networks.local.adapter import simulate_mention, simulate_person

from .ipad import assert_fits_the_ipad
from .test_consent_journey import open_from_menu, sign_in_with_code
from .test_sign_in_journeys import dashboard_url, fill_sign_in_form

ABUSE = "@alpha_school your Year 3 teacher is a disgrace and a shit teacher"
WORRY = "This names Mrs Khan's class and is the third message like it this week."


def test_a_concern_reaches_the_headteacher_who_handles_and_closes_the_incident(
    ipad: Page, desktop: Page, live_server, staff, accounts, school, settings, screenshot_path
):
    # Links the portal makes (emails, the local network's post addresses) point at this server.
    settings.SITE_URL = live_server.url
    seed_default_rules(school)
    troll = simulate_person("angry_neighbour_1987", display_name="Angry Neighbour")
    simulate_mention(troll, accounts.whole_school, ABUSE)
    fetch_mentions(accounts.whole_school)
    mention = MentionItem.objects.get()
    assert mention.flagged

    # The class teacher saw the post and raises a concern from the iPad, pasting its address.
    teacher = ipad
    teacher.goto(live_server.url + "/")
    fill_sign_in_form(teacher, "teacher@alpha.test", tap=True)
    teacher.get_by_role("button", name="Sign in").tap()
    teacher.wait_for_url(dashboard_url(live_server))
    open_from_menu(teacher, "Raise a concern")
    expect(teacher.get_by_role("heading", name="Raise a concern")).to_be_visible()
    teacher.get_by_label("Web address of the post").fill(mention.url)
    teacher.get_by_label("What worries you about it?").fill(WORRY)
    teacher.get_by_role("button", name="Send to the headteacher").tap()
    expect(teacher.get_by_text("Your concern has been sent to the headteacher.")).to_be_visible()
    assert_fits_the_ipad(teacher)

    # The headteacher is emailed straight away, with what it is about and a link.
    [email] = mail.outbox
    assert email.to == ["head@alpha.test"]
    assert "@angry_neighbour_1987" in email.body and WORRY in email.body
    concern_link = re.search(r"http\S+/concerns/\d+/", email.body).group(0)

    # From the dashboard, the headteacher opens an incident from the concern.
    head = desktop
    sign_in_with_code(head, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    panel = head.locator("section.card").filter(has=head.get_by_role("heading", name="Concerns and incidents"))
    panel.get_by_role("link", name=re.compile("Teacher")).click()
    assert head.url == concern_link
    expect(head.get_by_text(ABUSE)).to_be_visible()
    head.get_by_label("Title").fill("Abuse about a Year 3 teacher")
    head.get_by_label("How serious is it?").select_option(label="High")
    head.get_by_role("button", name="Open an incident").click()

    expect(head.get_by_role("heading", level=1)).to_have_text("Abuse about a Year 3 teacher")
    expect(head.get_by_text("High severity")).to_be_visible()
    expect(head.locator("#incident-status")).to_have_text("Open")

    head.get_by_label("What to add").fill("Spoke to Mrs Khan; she has seen the posts and is supported.")
    head.get_by_role("button", name="Add", exact=True).click()
    expect(head.get_by_text("Added to the timeline.")).to_be_visible()

    head.get_by_label("Something that was done").check()
    head.get_by_label("What to add").fill("Blocked the account and reported the post to the network.")
    head.get_by_role("button", name="Add", exact=True).click()

    head.get_by_label("Referred to").fill("the police")
    head.get_by_label("Reference number or details (optional)").fill("Crime reference 1234")
    head.get_by_role("button", name="Record the referral").click()
    expect(head.get_by_text("Referral recorded.")).to_be_visible()

    head.get_by_label("Closing summary").fill("Account blocked, police informed, teacher supported.")
    head.get_by_role("button", name="Close the incident").click()

    # Closed, with its whole history.
    expect(head.locator("#incident-status")).to_have_text("Closed")
    expect(head.get_by_role("heading", name="Closing summary")).to_be_visible()
    expect(head.locator("#referral")).to_contain_text("Referred to the police on")
    timeline = head.locator("#timeline li")
    expect(timeline).to_have_count(5)
    expect(timeline.nth(0)).to_contain_text(WORRY)
    expect(timeline.nth(1)).to_contain_text("Spoke to Mrs Khan")
    expect(timeline.nth(2)).to_contain_text("Action taken")
    expect(timeline.nth(3)).to_contain_text("Crime reference 1234")
    expect(timeline.nth(4)).to_contain_text("Closed. Account blocked, police informed, teacher supported.")
    head.screenshot(path=screenshot_path("incident-closed.png"), full_page=True)

    incident = Incident.objects.get()
    assert incident.status == "closed" and incident.referred_to == "the police"
    assert incident.evidence[0]["text"] == ABUSE
