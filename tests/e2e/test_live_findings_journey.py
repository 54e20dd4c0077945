"""Issue 4, end to end: the computing lead makes class posts carry the class hashtag, and the Year 3
teacher, writing on the class iPad, sees the rules' findings while typing, is stopped from sending a
post with a pupil's full name and a swear word in it, fixes it and sends it for approval."""

import re

from playwright.sync_api import Page, expect

from consent.models import Pupil
from moderation.models import Rule
from moderation.rules import RuleType, Scope
from moderation.services import policy_seed_default, seed_default_rules
from posts.models import Post, PostStatus
from posts.services import POST_LENGTH_LIMIT

from .ipad import assert_big_enough, assert_fits_the_ipad
from .navigation import go_to
from .test_consent_journey import open_from_menu
from .test_sign_in_journeys import dashboard_url, fill_sign_in_form

CLASS_TAG = "AlphaYear3"
# As the teacher types it: Amara's full name, an emoji, and a swear word with a digit for a letter.
CAPTION = "Amara Okafor built a brilliant volcano 🌋 and it went off like sh1t!"
# 67 characters (code points), but X counts an emoji as 2: the counter shows X's count.
CAPTION_WEIGHTED = 68
FIXED = f"A brilliant volcano from Year 3! #{CLASS_TAG}"
TYPING_DELAY_MS = 60  # a quick typist on the iPad's on-screen keyboard
TEXT_LABEL = "What do you want to say?"


def sign_in(page: Page, live_server, email: str, *, tap: bool = False):
    """Password only (neither the computing lead nor a class teacher approves posts); ends on the dashboard."""
    page.goto(live_server.url + "/")
    fill_sign_in_form(page, email, tap=tap)
    button = page.get_by_role("button", name="Sign in")
    if tap:
        button.tap()
    else:
        button.click()
    page.wait_for_url(dashboard_url(live_server))


def tap_in_menu(page: Page, link: str):
    go_to(page, link, tap=True)


def hashtags_row(page: Page):
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name="Hashtags", exact=True))


def setting_shown(row, label: str):
    """The value the rules table shows for one setting of a rule."""
    return row.locator("dt", has_text=re.compile(f"^{re.escape(label)}$")).locator("xpath=following-sibling::dd[1]")


def test_teacher_sees_findings_while_typing_and_fixes_the_post(
    desktop: Page, ipad: Page, live_server, school, year3, staff, accounts, screenshot_path
):
    seed_default_rules(school)
    policy_seed_default(school=school, signed_off_by=staff.head)
    for first_name, surname in (("Amara", "Okafor"), ("Zoë", "Hughes"), ("Oliver", "Bennett")):
        Pupil.objects.create(school=school, class_group=year3, first_name=first_name, surname=surname)

    # The computing lead makes every post on a class account carry the class hashtag.
    lead = desktop
    sign_in(lead, live_server, "computing@alpha.test")
    open_from_menu(lead, "Rules for posts")
    expect(lead.get_by_role("heading", name="Rules for posts", level=1)).to_be_visible()
    row = hashtags_row(lead)
    expect(row).to_have_count(1)
    expect(setting_shown(row, "Hashtags every post needs")).to_have_text("none")
    expect(row).to_contain_text("All accounts")
    row.get_by_role("link", name="Edit").click()

    expect(lead.get_by_role("heading", name="Edit rule: Hashtags")).to_be_visible()
    lead.get_by_label("Hashtags every post needs").fill(f"#{CLASS_TAG}")
    lead.get_by_role("radio", name="Class accounts").check()
    lead.get_by_role("button", name="Save the rule").click()

    expect(lead.get_by_role("heading", name="Rules for posts", level=1)).to_be_visible()
    expect(lead.get_by_role("status")).to_contain_text("Rule saved: Hashtags (warn the author, class accounts).")
    row = hashtags_row(lead)
    expect(setting_shown(row, "Hashtags every post needs")).to_have_text(CLASS_TAG)
    expect(row).to_contain_text("Class accounts")
    expect(row).to_contain_text("Warns")
    rule = Rule.objects.get(school=school, type=RuleType.HASHTAGS)
    assert (rule.scope, rule.parameters["required"]) == (Scope.CLASS, [CLASS_TAG])

    # The Year 3 teacher, on the class iPad, starts a post and is asked to read the policy first.
    page = ipad
    sign_in(page, live_server, "teacher@alpha.test", tap=True)
    tap_in_menu(page, "New post")
    expect(page).to_have_url(re.compile(r"/policy/.*\?next="))
    expect(page.get_by_role("status")).to_contain_text(
        "Before you draft posts, read version 1 of the school's social media policy"
    )
    expect(page.get_by_role("heading", name="Social media policy", level=1)).to_be_visible()
    page.get_by_role("button", name="I have read this policy").tap()

    expect(page.get_by_role("heading", name="New post", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You have confirmed that you read version 1 of the policy.")
    expect(page.get_by_role("radio", name=re.compile(r"@alpha_year3"))).to_be_checked()

    # Typing: the findings come while the text is written, before anything is saved.
    text = page.get_by_label(TEXT_LABEL)
    feedback = page.locator("#text-feedback")
    text.tap()
    text.press_sequentially(CAPTION, delay=TYPING_DELAY_MS)

    expect(feedback.locator(".count")).to_have_text(f"{CAPTION_WEIGHTED} / {POST_LENGTH_LIMIT}")
    expect(feedback.get_by_role("heading", name="2 things to change before you send it")).to_be_visible()
    findings = feedback.get_by_role("listitem")
    full_name = findings.filter(has_text="“Amara Okafor” is a pupil's full name")
    expect(full_name).to_contain_text("Must change")
    expect(full_name).to_contain_text("use initials, e.g. “A.O.”")
    swearing = findings.filter(has_text="“sh1t” is offensive or unsuitable language")
    expect(swearing).to_contain_text("Must change")
    hashtag = findings.filter(has_text=f"Posts on this account include #{CLASS_TAG}. Add it to the post.")
    expect(hashtag).to_contain_text("Check")
    expect(findings).to_have_count(3)
    preview = feedback.get_by_role("note", name="Your text, with the parts to look at marked")
    expect(preview.locator("mark", has_text="Amara Okafor")).to_have_text("Amara Okafor")
    expect(preview.locator("mark", has_text="Amara Okafor")).to_have_class(re.compile(r"\bfinding-block\b"))
    expect(preview.locator("mark", has_text="sh1t")).to_have_text("sh1t")
    assert not Post.objects.exists(), "the live check saves nothing"
    assert_fits_the_ipad(page)
    page.screenshot(path=screenshot_path("compose-live-findings-ipad.png"), full_page=True)

    # Sending it anyway: refused, with the reasons, and nothing typed is lost.
    send = page.get_by_role("button", name="Send for approval")
    assert_big_enough(send)
    send.tap()
    refusal = page.get_by_role("alert", name="Your draft is saved, but it cannot be sent for approval yet")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("“Amara Okafor” is a pupil's full name.")
    expect(refusal).to_contain_text("“sh1t” is offensive or unsuitable language for a school post.")
    expect(refusal).not_to_contain_text(CLASS_TAG)  # a warning does not stop the post
    expect(text).to_have_value(CAPTION)
    expect(feedback.get_by_role("heading", name="2 things to change before you send it")).to_be_visible()
    post = Post.objects.get()
    assert (post.status, post.text) == (PostStatus.DRAFT, CAPTION)

    # The teacher rewrites it: the findings clear as the new text is typed.
    text.tap()
    text.press("ControlOrMeta+A")
    text.press("Backspace")
    text.press_sequentially(FIXED, delay=TYPING_DELAY_MS)
    expect(feedback.locator(".count")).to_have_text(f"{len(FIXED)} / {POST_LENGTH_LIMIT}")
    expect(feedback.get_by_role("listitem")).to_have_count(0)
    expect(feedback.get_by_text("Must change")).to_have_count(0)

    page.get_by_role("button", name="Send for approval").tap()
    expect(page.get_by_role("heading", name="My posts", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Sent for approval. It will go to Alpha Year3 once it is approved."
    )
    mine = page.get_by_role("article").filter(has_text=FIXED)
    expect(mine).to_contain_text("Waiting for approval")
    post.refresh_from_db()
    assert (post.status, post.text) == (PostStatus.SUBMITTED, FIXED)
    assert Post.objects.count() == 1, "the refused draft was the one sent"
