"""Every page at a phone's width (390 px): no sideways scroll, nothing wider than the screen, and the
navigation folded behind a control that opens from the keyboard and without JavaScript.

Each role walks every HTML page of the URL map (site_pages); a page a role may not open (403) is
recorded, not checked. A failure names the elements that stick out, with their widths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS, LiveServer
from tests.browser.site_pages import OWN_ONLY, ROLE_USERS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# Walked without JavaScript too: the dashboard then shows tables in place of its charts.
NO_SCRIPT_PAGES = {
    "me.index",
    "dashboard.index",
    "risks.list",
    "risks.detail",
    "controls.list",
    "sites.detail",
}

# Wide on purpose and scrolled inside its own box, never the page: the bowtie diagram.
SIDEWAYS_SCROLLERS = ".bowtie-scroll"

# The outermost elements that reach past the viewport's right (or left) edge, skipping what is
# meant to be out of sight (the skip link, visually hidden text) and what sits inside a box that
# clips it or scrolls on purpose.
OVERFLOW_SCRIPT = """
([allowed]) => {
  const width = document.documentElement.clientWidth;
  const contained = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (up.matches('.visually-hidden, .skip')) return true;
      if (up.matches(allowed)) return true;
      const style = getComputedStyle(up);
      if (['hidden', 'clip'].includes(style.overflowX)) return true;
    }
    return false;
  };
  const sticksOut = (el) => {
    if (!el.checkVisibility()) return false;  // folded away (a closed menu) or not displayed
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return false;
    if (box.right <= 0) return false;  // parked off-screen on purpose (the skip link)
    return box.right > width + 0.5 || box.left < -0.5;
  };
  const nameOf = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].map((c) => '.' + c).join('');
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!sticksOut(el) || contained(el)) continue;
    if (el.parentElement && el.parentElement !== document.body && sticksOut(el.parentElement)) continue;
    const box = el.getBoundingClientRect();
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    offenders.push(`${nameOf(el)} (${Math.round(box.left)}..${Math.round(box.right)} px) "${text}"`);
  }
  // Text wider than its own box (a long word that cannot wrap) spills out of an element that fits.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const holder = node.parentElement;
    if (!holder || !holder.checkVisibility() || contained(node)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (box.width === 0 || (box.right <= width + 0.5 && box.left >= -0.5) || sticksOut(holder)) continue;
    const text = node.textContent.trim().slice(0, 40);
    const where = `${Math.round(box.left)}..${Math.round(box.right)} px`;
    offenders.push(`text in ${nameOf(holder)} (${where}) "${text}"`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, offenders};
}
"""


def phone_context(browser: Any, live_server: LiveServer, **options: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return context


def overflow(page: Any) -> list[str]:
    found = page.evaluate(OVERFLOW_SCRIPT, [SIDEWAYS_SCROLLERS])
    problems = list(found["offenders"])
    if found["scrollWidth"] > PHONE["width"]:
        problems.insert(0, f"the page scrolls sideways: {found['scrollWidth']} px wide")
    return problems


def assert_menu_folds(page: Any) -> None:
    """At 390 px the links hide behind a summary; the keyboard opens it and reaches the links."""
    header = page.locator("header.topbar")
    toggle = header.locator("summary")
    expect(toggle).to_be_visible()
    register = header.get_by_role("link", name="Register", exact=True)
    expect(register).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(register).to_be_visible()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('header nav') !== null")
    assert focused, "after opening the menu, Tab does not lead into the navigation"
    toggle.focus()
    page.keyboard.press("Enter")
    expect(register).to_be_hidden()


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_every_page_fits_a_phone(
    role: str,
    browser: Any,
    live_server: LiveServer,
    sign_in: Callable[[Any, str], None],
    walked_pages: tuple[list[Any], dict[str, str]],
) -> None:
    pages, missing = walked_pages
    assert not missing, f"pages not walked for want of data: {missing}"
    context = phone_context(browser, live_server)
    try:
        page = context.new_page()
        sign_in(page, ROLE_USERS[role])
        assert_menu_folds(page)
        refused, failures = [], {}
        for item in pages:
            response = page.goto(item.path)
            status = response.status if response else 0
            if status == 403 or (status == 404 and item.endpoint in OWN_ONLY):
                refused.append(item.endpoint)
                continue
            assert status < 400, f"{item.path} answered {status} for {role}"
            page.wait_for_load_state("load")
            if problems := overflow(page):
                failures[item.path] = problems
        report = "\n".join(f"{path}:\n    " + "\n    ".join(found) for path, found in failures.items())
        assert not failures, f"{role}: {len(failures)} page(s) wider than {PHONE['width']} px\n{report}"
        assert len(refused) < len(pages), f"{role} was refused every page"
    finally:
        context.close()


def test_the_menu_opens_without_javascript(
    browser: Any,
    live_server: LiveServer,
    sign_in: Callable[[Any, str], None],
    walked_pages: tuple[list[Any], dict[str, str]],
) -> None:
    context = phone_context(browser, live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, ROLE_USERS["risk_manager"])
        assert_menu_folds(page)
        # Without scripts the dashboard shows its tables in place of the charts: they fit too.
        pages, _ = walked_pages
        failures = {}
        for item in pages:
            if item.endpoint in NO_SCRIPT_PAGES:
                page.goto(item.path)
                if problems := overflow(page):
                    failures[item.path] = problems
        assert not failures, failures
    finally:
        context.close()


def test_the_menu_is_open_on_a_wide_screen(page: Any, sign_in: Callable[[Any, str], None]) -> None:
    """On a desktop the links are in view at once, with no menu to open."""
    sign_in(page, ROLE_USERS["risk_manager"])
    header = page.locator("header.topbar")
    expect(header.locator("summary")).to_be_hidden()
    expect(header.get_by_role("link", name="Register", exact=True)).to_be_visible()
    expect(header.get_by_role("searchbox")).to_be_visible()
