"""axe-core on every HTML page of riskreg for every role: zero violations, or a failure that lists
each one (page, rule, target).

axe is the npm package's file (node_modules/axe-core, `npm ci` in `make install-dev`), injected
into each page by Playwright from that file (an init script of the context): nothing is fetched
from anywhere else (the live server's context refuses off-site requests). The rule set is axe's
default one (WCAG 2.x A and AA plus best practice); none is switched off. A page a role may not
open (403) is recorded, not checked.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.site_pages import NOT_PAGES, ROLE_USERS, is_page

pytestmark = pytest.mark.browser

# Charts are drawn after the page's load event; axe reads the page as a person would see it.
DRAWN_TIMEOUT_MS = 15_000


def settle(page: Any) -> None:
    """Wait until every chart on the page is drawn and the API docs are rendered, so axe sees the
    page people see (not one half built by its scripts)."""
    if page.locator("#swagger-ui").count():
        page.wait_for_selector("#swagger-ui .opblock", timeout=DRAWN_TIMEOUT_MS)
    if page.locator("[data-figure]").count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-figure]')].every(e => e.dataset.drawn)",
            timeout=DRAWN_TIMEOUT_MS,
        )


def with_axe(page: Any, axe_file: Path) -> Any:
    """axe from the local file in every page the context opens from now on. An init script, not
    add_script_tag: the page's CSP (script-src 'self') refuses add_script_tag's inline copy, and
    it stays as served, so the pages are checked as people get them."""
    page.context.add_init_script(path=str(axe_file))
    return page


def axe_violations(page: Any, axe_file: Path) -> list[str]:
    """'rule (impact): target' for each node axe finds in violation on the page as it is now."""
    results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in results["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            found.append(f"{violation['id']} ({violation['impact']}): {target}")
    return found


def check(page: Any, axe_file: Path, path: str) -> tuple[int, list[str]]:
    response = page.goto(path)
    status = response.status if response else 0
    if status == 403:
        return status, []
    settle(page)
    return status, axe_violations(page, axe_file)


def report(problems: dict[str, list[str]]) -> str:
    lines = [f"{len(problems)} page(s) with axe violations:"]
    for where, found in problems.items():
        lines.append(f"  {where}")
        lines.extend(f"    - {item}" for item in found)
    return "\n".join(lines)


def test_every_page_is_walked(live_server, walked_pages):
    """A GET route that is neither walked nor listed in NOT_PAGES fails here, with its reason."""
    pages, missing = walked_pages
    assert missing == {}, f"pages the walks cannot reach (add the data or a NOT_PAGES entry): {missing}"
    walked = {page.endpoint for page in pages}
    for rule in live_server.app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES and is_page(rule):
            assert rule.endpoint in walked, f"{rule.endpoint} ({rule.rule}) is not walked"
    gone = set(NOT_PAGES) - {rule.endpoint for rule in live_server.app.url_map.iter_rules()}
    assert not gone, f"NOT_PAGES names routes that no longer exist: {gone}"


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_axe_finds_no_violation_on_any_page(role, browsing, sign_in, walked_pages, axe_file, capsys):
    pages, _ = walked_pages
    page = with_axe(browsing.page, axe_file)
    started = time.monotonic()
    sign_in(page, ROLE_USERS[role])
    problems: dict[str, list[str]] = {}
    refused: list[str] = []
    for item in pages:
        status, found = check(page, axe_file, item.path)
        if status == 403:
            refused.append(item.endpoint)
        elif found:
            problems[f"{item.path} ({item.endpoint}, {status})"] = found
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\naxe walk as {role}: {len(pages)} pages ({len(refused)} refused) in {elapsed:.1f} s")
    assert not problems, report(problems)
    assert browsing.offsite == [], f"requests off the machine: {browsing.offsite}"


def test_axe_finds_no_violation_in_states_a_page_takes(browsing, sign_in, live_server, axe_file):
    """A form with validation errors, the register and tracker filtered, the dashboard compared and
    with every chart drawn, an operation opened in the API docs."""
    page = with_axe(browsing.page, axe_file)
    sign_in(page, ROLE_USERS["risk_manager"])
    problems: dict[str, list[str]] = {}

    page.goto("/risks/new")
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name="Create").click()
    assert page.locator(".error").count(), "the empty risk form shows no errors"
    if found := axe_violations(page, axe_file):
        problems["/risks/new with errors"] = found

    filtered = "/risks?direction=to_communities&status=open&q=water&sort=-residual"
    for path in (filtered, "/controls?status=open&overdue=1", "/dashboard?direction=to_asm&view=compare"):
        status, found = check(page, axe_file, path)
        assert status == 200, f"{path} answered {status}"
        if found:
            problems[path] = found

    page.goto("/dashboard")
    settle(page)
    assert page.locator("[data-drawn]").count() >= 1, "no chart was drawn on the dashboard"
    if found := axe_violations(page, axe_file):
        problems["/dashboard with charts drawn"] = found

    page.goto("/api/v1/docs")
    settle(page)
    page.locator(".opblock-summary-control").first.click()  # an operation opened, its parameters shown
    page.wait_for_selector(".opblock.is-open tr[data-param-name]")
    if found := axe_violations(page, axe_file):
        problems["/api/v1/docs with an operation open"] = found
    assert not problems, report(problems)
