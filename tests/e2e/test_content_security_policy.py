"""Issue 16: the Content-Security-Policy, seen from a real browser.

Every journey in this folder fails on anything the policy refuses (tests/e2e/conftest.py,
`open_context`); the accessibility check opens every page as every role, so every page is
covered. These tests show that the check would notice, and that what the templates no longer
write as style attributes (face boxes on a photo, the bars of the consent chart) is still
drawn where it belongs.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose
from consent.services import consent_record, pupil_create

from .sessions import sign_in

INJECT_INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "document.title = 'changed by an inline script'";
  document.head.appendChild(script);
}"""

INJECT_STYLE_ATTRIBUTE = """() => {
  const holder = document.createElement("div");
  holder.innerHTML = '<p id="styled" style="color: rgb(255, 0, 0)">Red?</p>';
  document.body.appendChild(holder);
}"""


def test_an_injected_inline_script_or_style_attribute_is_refused_and_fails_the_journey(
    desktop: Page, live_server, csp_violations
):
    page = desktop
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    title = page.title()

    page.evaluate(INJECT_INLINE_SCRIPT)
    page.evaluate(INJECT_STYLE_ATTRIBUTE)

    expect(page.locator("#styled")).to_be_visible()
    assert page.title() == title, "the inline script ran"
    assert page.locator("#styled").evaluate("p => getComputedStyle(p).color") != "rgb(255, 0, 0)"
    page.wait_for_function("() => true")  # let the violation reports reach the test
    refused = {v.get("directive") for v in csp_violations if "directive" in v}
    assert {"script-src-elem", "style-src-attr"} <= refused, csp_violations
    # The harness would fail this test at the end for the same reason: it has shown it noticed.
    csp_violations.clear()


def test_the_consent_chart_bars_are_as_long_as_their_figures(desktop: Page, live_server, staff, year3, school):
    """Ten pupils in Year 3: four may appear in a photo, one may be named."""
    pupils = [
        pupil_create(actor=staff.office, first_name=f"Pupil{n}", surname="Okafor", class_group=year3) for n in range(10)
    ]
    carer = {
        "decision": ConsentDecision.GIVEN,
        "given_by_name": "Grace Okafor",
        "relationship": CarerRelationship.MOTHER,
        "method": ConsentMethod.LETTER,
        "decided_on": timezone.localdate() - dt.timedelta(days=1),
    }
    for pupil in pupils[:4]:
        consent_record(actor=staff.office, pupil=pupil, purpose=ConsentPurpose.SOCIAL_PHOTO, **carer)
    consent_record(actor=staff.office, pupil=pupils[0], purpose=ConsentPurpose.SOCIAL_NAME, **carer)
    sign_in(desktop.context, live_server, staff.office.user, school=school)
    desktop.goto(live_server.url + "/consent/coverage/")

    row = desktop.locator(".chart-row").filter(has_text="Year 3")
    expect(row).to_contain_text("Photo 4/10")
    bars = row.locator(".chart-bars")
    # The bars are sized as a percentage of the chart's width inside its padding.
    whole = bars.evaluate("b => b.clientWidth - 2 * parseFloat(getComputedStyle(b).paddingLeft)")
    assert row.locator(".bar.photo").bounding_box()["width"] == pytest.approx(0.4 * whole, abs=2)
    assert row.locator(".bar.name").bounding_box()["width"] == pytest.approx(0.1 * whole, abs=2)
