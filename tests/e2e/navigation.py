"""Finding one's way as staff do: on a desktop the navigation is a column beside the page; on an
iPad held upright it opens from the Menu button in the top bar. Entries with work waiting say how
much ("Posts to approve 2 waiting"), so an entry is found by its label with or without a count."""

import re

from playwright.sync_api import Locator, Page


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def menu_button(page: Page) -> Locator:
    return page.get_by_role("banner").get_by_role("button", name=re.compile(r"^Menu\b"))


def nav_link(page: Page, label: str) -> Locator:
    return main_nav(page).get_by_role("link", name=re.compile(rf"^{re.escape(label)}(\s+\d+\s+[a-z ]+)?$"))


def go_to(page: Page, label: str, *, tap: bool = False) -> None:
    """Open the entry labelled `label`, opening the compact menu first where the entry is folded
    away behind it."""
    # Until the page's style sheet has loaded, the Menu button shows at any width.
    page.wait_for_load_state("load")
    link = nav_link(page, label)
    if not link.is_visible():  # folded away: the Menu button is there, and closed
        menu = menu_button(page)
        menu.tap() if tap else menu.click()
    link.tap() if tap else link.click()
