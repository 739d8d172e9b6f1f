"""Steps shared by the field-data tests: uploads, confirms, counts, the problems on a preview."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.sites.models import AsmObservation
from tests.conftest import text_of

UPLOAD = "/sites/import-observations"
CONFIRM = "/sites/import-observations/confirm"


def upload(client, data: bytes, filename: str):
    return client.post(
        UPLOAD, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert match, text_of(response)[:3000]
    return match.group(1)


def confirm(client, token: str):
    return client.post(CONFIRM, data={"token": token})


def import_file(client, data: bytes, filename: str):
    """Upload, then confirm the preview; the confirm's response (followed)."""
    preview = upload(client, data, filename)
    assert preview.status_code == 200
    return client.post(CONFIRM, data={"token": token_of(preview)}, follow_redirects=True)


def counts() -> tuple[int, int]:
    """(observations, audit events): what an import that writes nothing must leave as it was."""
    db.session.rollback()
    return (
        db.session.scalar(sa.select(sa.func.count(AsmObservation.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )


def stored_uploads(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def problems_of(response) -> list[tuple[str, str, str]]:
    """(row, column, reason) of each problem on a preview page."""
    page = response.get_data(as_text=True)
    table = page.split("import-problems", 1)[1].split("</table>", 1)[0] if "import-problems" in page else ""
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table, re.S)
    return [tuple(html.unescape(re.sub(r"\s+", " ", cell)).strip() for cell in row) for row in rows]
