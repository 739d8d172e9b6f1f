"""The API's documentation page as Chromium draws it: Swagger UI from riskreg's own files under the
strict CSP, every operation of the OpenAPI 3.1 document listed, nothing fetched from another host,
no script errors, no CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from riskreg.api.operations import OPS


@pytest.mark.browser
def test_the_docs_page_lists_every_operation_offline(browsing, live_server):
    page = browsing.page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("riskreg API")
    expect(page.locator(".opblock")).to_have_count(len(OPS))
    expect(page.locator(".opblock-summary-path", has_text="/risks/{risk_id}").first).to_be_visible()
    browsing.keep("api-docs")
    assert browsing.offsite == [], "the page asked for something on another host"
    assert browsing.errors == []
    assert violations == []
