"""Issue 14: text zoomed to 200% (WCAG 1.4.4 and 1.4.10). A 1280-pixel desktop window zoomed to 200%
lays pages out at 640 CSS pixels wide, two device pixels to each: the key pages must then fit the
window's width, with nothing cut off and no scrolling sideways, and the dashboard must still pass
axe-core's checks."""

from dataclasses import dataclass, field

from django.urls import reverse
from playwright.sync_api import Page

from accounts.models import Role
from consent.views_import import SESSION_KEY as IMPORT_SESSION_KEY

from .axe import axe_tally, wcag_violations
from .rich_school import RichSchool, build_rich_school
from .sessions import sign_in

ZOOMED_DESKTOP = {"viewport": {"width": 640, "height": 800}, "device_scale_factor": 2}

# Everything on the page that runs past the window's right edge or is cut off by its own box;
# what sits in a box that scrolls sideways on purpose (a wide table in its scroller) is allowed,
# and so are the elements kept out of sight for screen readers (.visually-hidden, the skip link).
_OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    const scrolls = element => {
        for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
            const overflow = getComputedStyle(box).overflowX;
            if (overflow === "auto" || overflow === "scroll") return true;
        }
        return false;
    };
    const name = element => {
        const classes = [...element.classList].slice(0, 2).map(c => "." + c).join("");
        const text = (element.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
        return `<${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}${classes}> "${text}"`;
    };
    const problems = [];
    for (const element of document.body.querySelectorAll("*")) {
        const style = getComputedStyle(element);
        const box = element.getBoundingClientRect();
        if (style.visibility === "hidden" || box.width <= 1 || box.height <= 1) continue;
        if (style.clip === "rect(0px, 0px, 0px, 0px)") continue;  // .visually-hidden
        if (box.right <= 0 || box.bottom <= 0) continue;  // out of sight on purpose until focused
        if (scrolls(element)) continue;
        if (box.right > width + 1) {
            problems.push(`${name(element)} runs ${Math.round(box.right - width)}px past the window's edge`);
        } else if ((style.overflowX === "hidden" || style.overflowX === "clip")
                   && element.scrollWidth > element.clientWidth + 1 && style.textOverflow !== "ellipsis") {
            problems.push(`${name(element)} cuts off ${element.scrollWidth - element.clientWidth}px of its content`);
        }
    }
    return problems;
}"""


@dataclass(frozen=True)
class KeyPage:
    visitor: str
    url_name: str
    kwargs: dict = field(default_factory=dict)

    def path(self) -> str:
        return reverse(self.url_name, kwargs=self.kwargs)


def key_pages(s: RichSchool) -> list[KeyPage]:
    """The pages each person uses most, and those with the widest content (tables, photos, forms)."""
    head, teacher, office = Role.HEADTEACHER, Role.CLASS_TEACHER, Role.OFFICE_ADMIN
    submitted = s.posts["submitted"]
    return [
        KeyPage(teacher, "dashboard"),
        KeyPage(teacher, "post_compose"),
        KeyPage(teacher, "post_edit", {"pk": s.posts["draft"].pk}),
        KeyPage(teacher, "post_photo", {"pk": s.posts["draft"].pk, "image_pk": s.photo.pk}),
        KeyPage(teacher, "post_list_mine"),
        KeyPage(head, "dashboard"),
        KeyPage(head, "review_queue"),
        KeyPage(head, "review_post", {"pk": submitted.pk}),
        KeyPage(head, "post_calendar"),
        KeyPage(head, "audit_log"),
        KeyPage(head, "staff_list"),
        KeyPage(head, "incident_detail", {"pk": s.incident.pk}),
        KeyPage(head, "rules_list"),
        KeyPage(head, "policy_sign_off"),
        KeyPage(office, "dashboard"),
        KeyPage(office, "consent_register"),
        KeyPage(office, "consent_pupil", {"pk": s.pupils["isla"].pk}),
        KeyPage(office, "consent_import_preview"),
        KeyPage(office, "inbox_list"),
        KeyPage(office, "audience_followers"),
    ]


def test_key_pages_fit_a_desktop_window_zoomed_to_200_percent(
    open_context, live_server, settings, tmp_path, pytestconfig
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    s = build_rich_school()
    tally = axe_tally(pytestconfig)
    problems = []
    pages = key_pages(s)
    for visitor in dict.fromkeys(page.visitor for page in pages):
        context = open_context(**ZOOMED_DESKTOP)
        sign_in(context, live_server, s.staff[visitor].user, school=s.school, **{IMPORT_SESSION_KEY: s.upload})
        tab = context.new_page()
        for page in (page for page in pages if page.visitor == visitor):
            problems += reflow_problems(tab, live_server.url + page.path(), f"{page.path()} as {visitor}")
            if page.url_name == "dashboard":
                found = wcag_violations(tab)
                label = f"{page.path()} ({page.url_name})"  # as test_accessibility.py names it
                tally.add(page=label, visitor=visitor, size="200% zoom", violations=len(found))
                problems += [f"{page.path()} as {visitor}: {violation.describe()}" for violation in found]
        context.close()
    assert not problems, "At 200% zoom (640 CSS pixels wide):\n" + "\n".join(problems)


def reflow_problems(tab: Page, url: str, label: str) -> list[str]:
    response = tab.goto(url)
    assert response is not None and response.ok and response.url == url, f"{label} did not open: {response}"
    found = []
    scroll_width, client_width = tab.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll_width > client_width:
        found.append(f"{label}: the page scrolls sideways ({scroll_width}px of content in {client_width}px)")
    found += [f"{label}: {problem}" for problem in tab.evaluate(_OVERFLOWING)[:5]]
    return found
