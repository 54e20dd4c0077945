"""Checks every iPad page of a journey makes: big enough to tap, and no sideways scrolling."""

from playwright.sync_api import Locator, Page

TOUCH_TARGET = 44  # CSS pixels: Apple's smallest comfortable target for a finger


def assert_big_enough(*targets: Locator) -> None:
    for target in targets:
        # Measured once the stylesheets have loaded: the text can be in the page before them.
        target.page.wait_for_load_state("load")
        box = target.bounding_box()
        assert box is not None, f"{target} is not on the page"
        assert box["height"] >= TOUCH_TARGET, f"{target} is {box['height']}px high: too small for a finger"


def assert_fits_the_ipad(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{page.url} scrolls sideways"
