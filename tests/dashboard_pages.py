"""Reading the dashboard and register pages in tests: heatmap cells, figures, and register refs."""

from __future__ import annotations

import html
import json
import re
from typing import Any

CELL = re.compile(
    r'<td class="cell"[^>]*data-likelihood="(\d)" data-impact="(\d)" data-count="(\d+)">(.*?)</td>', re.S
)
HREF = re.compile(r'href="([^"]+)"')
FIGURE_BLOCK = re.compile(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', re.S)


def page(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def heatmap_section(text: str, basis: str) -> str:
    start = text.index(f'id="heatmap-{basis}"')
    return text[start : text.index("</figure>", start)]


def cells(text: str, basis: str) -> dict[tuple[int, int], dict[str, Any]]:
    """{(likelihood, impact): {"count": n, "href": url or None, "text": cell text}} of one heatmap table."""
    found = {}
    for lk, im, count, inner in CELL.findall(heatmap_section(text, basis)):
        link = HREF.search(inner)
        found[(int(lk), int(im))] = {
            "count": int(count),
            "href": html.unescape(link.group(1)) if link else None,
            "text": re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inner)).strip(),
        }
    assert len(found) == 25, f"expected 25 cells in the {basis} table, found {len(found)}"
    return found


def counts(text: str, basis: str) -> dict[tuple[int, int], int]:
    return {key: cell["count"] for key, cell in cells(text, basis).items() if cell["count"]}


def figures(text: str) -> dict[str, Any]:
    return {name: json.loads(body) for name, body in FIGURE_BLOCK.findall(text)}


def register_refs(client, url: str) -> set[str]:
    """The refs listed by a register page (all of them: the tests keep below one page)."""
    text = page(client.get(url))
    assert "page=2" not in text, "the register spread over several pages"
    return set(re.findall(r'<td[^>]*><a href="/risks/\d+">(R-\d+)</a></td>', text))
