"""GET /export.xlsx: the register (same filters as /risks) as a workbook, streamed from a temporary file."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flask import Response, request
from flask_login import current_user

from riskreg.auth.permissions import Permission, permission_required
from riskreg.exports import xlsx
from riskreg.reports.disclosure import parse_year
from riskreg.risks.filters import parse_risk_filters

logger = logging.getLogger(__name__)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 256 * 1024


@permission_required(Permission.EXPORT)
def register():
    """openpyxl's write-only mode finishes each sheet before zipping it, so the workbook is built in a
    temporary file, then sent in chunks: memory stays flat whatever the size of the register."""
    filters = parse_risk_filters(request.args)  # 400 with the parameter's name on a bad value
    year = parse_year(request.args.get("year"))  # of the ASM disclosure sheet; this year by default
    fd, name = tempfile.mkstemp(prefix="riskreg-export-", suffix=".xlsx")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            ctx = xlsx.export_register(filters, f"{current_user.name} <{current_user.email}>", handle, year)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    logger.info(
        "register exported by user %s: %s risks, %s controls",
        current_user.id,
        ctx.counts.get("risks"),
        ctx.counts.get("controls"),
    )
    response = Response(_chunks(path), mimetype=XLSX_MIMETYPE, direct_passthrough=True)
    response.content_length = path.stat().st_size
    response.headers["Content-Disposition"] = f"attachment; filename={xlsx.download_name(ctx.today)}"
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(lambda: path.unlink(missing_ok=True))  # also when the download is dropped
    return response


def _chunks(path: Path) -> Iterator[bytes]:
    """The file is opened only once sending starts, and removed when it is sent."""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
