"""Workbooks the export and import tests build: edits of an export, and hostile files made on the spot."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import openpyxl
import sqlalchemy as sa
from flask.testing import FlaskClient
from python_calamine import CalamineWorkbook

from riskreg.controls.models import Control, ControlStatus, risk_controls
from riskreg.extensions import db
from riskreg.imports.safety import OLE_MAGIC
from riskreg.risks.models import format_ref
from tests.conftest import department_id, text_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(client: FlaskClient, query: str = "") -> bytes:
    response = client.get(f"/export.xlsx{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    data = response.get_data()
    response.close()
    return data


def calamine_rows(data: bytes, sheet: str) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(sheet).to_python()


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def register_dicts(data: bytes) -> list[dict[str, Any]]:
    rows = list(workbook(data)["Register"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def edited(data: bytes, change: Callable[[Any], None]) -> bytes:
    """An export edited as a person would in a spreadsheet program (openpyxl, normal mode)."""
    book = workbook(data)
    change(book["Register"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def set_cell(ws: Any, ref: str, header: str, value: Any) -> None:
    """Set the cell of the risk `ref` under `header`."""
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == ref:
            row[headers.index(header)].value = value
            return
    raise AssertionError(f"{ref} is not in the sheet")


def append_row(ws: Any, **values: Any) -> None:
    headers = [c.value for c in ws[1]]
    ws.append([values.get(header) for header in headers])


def sheet_from_rows(rows: Iterable[Iterable[Any]], title: str = "Register") -> bytes:
    """A small workbook made from scratch (headers and values as given)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: FlaskClient, data: bytes, filename: str = "register.xlsx"):
    response = client.post(
        "/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )
    # Werkzeug's client spools a body over 500 KB to a temporary file, closed only with redirects
    response.request.input_stream.close()
    return response


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert match, text_of(response)
    return match.group(1)


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The same package with some parts replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item.filename, (replace or {}).get(item.filename, source.read(item.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def zip_bomb(data: bytes, megabytes: int = 8) -> bytes:
    """A real workbook plus one part of zeros that deflates about a thousand to one."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        with target.open("xl/media/padding.bin", "w") as part:
            for _ in range(megabytes):
                part.write(b"\0" * (1024 * 1024))
    return out.getvalue()


def with_entities(data: bytes, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """An XXE / billion-laughs payload in the Register sheet's XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        xml = source.read(part)
    doctype = (
        b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        b'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    declaration_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    payload = xml[:declaration_end] + doctype + xml[declaration_end:]
    payload = payload.replace(b"<is><t>", b"<is><t>&xxe;&lol2;", 1)
    return rezip(data, replace={part: payload})


MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def repeated(element: bytes, count: int) -> bytes:
    """`count` copies of an element with a random comment after every 700 bytes or so, so that the
    part deflates about 60:1: a bomb that stays under the ratio gate, as the attack suite's did."""
    noise = random.Random(count)
    per = max(1, 700 // len(element))
    blocks, rest = divmod(count, per)
    block = element * per
    return b"".join(block + b"<!--%x-->" % noise.getrandbits(48) for _ in range(blocks)) + element * rest


def with_shared_strings(data: bytes, count: int, part: str = "xl/sharedStrings.xml") -> bytes:
    """The workbook with a shared-string table of `count` strings (openpyxl loads them all at open;
    openpyxl itself writes inline strings, Excel writes such a table)."""
    sst = b'<sst xmlns="%s">%s</sst>' % (MAIN_NS, repeated(b"<si><t>a</t></si>", count))
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        types = source.read("[Content_Types].xml")
    override = b'<Override PartName="/%s" ContentType="%s"/></Types>' % (part.encode(), SST_TYPE)
    return rezip(data, replace={"[Content_Types].xml": types.replace(b"</Types>", override)}, add={part: sst})


def styles_bomb(data: bytes, count: int) -> bytes:
    """The workbook with `count` cell formats in its stylesheet (openpyxl builds each at open)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        styles = source.read("xl/styles.xml")
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    bomb = re.sub(
        rb"<cellXfs[^>]*>.*?</cellXfs>",
        lambda _: b'<cellXfs count="%d">%s</cellXfs>' % (count, repeated(xf, count)),
        styles,
        count=1,
        flags=re.S,
    )
    assert bomb != styles
    return rezip(data, replace={"xl/styles.xml": bomb})


def sheet_bomb(data: bytes, element: bytes, count: int, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The Register sheet with `count` more `element`s (cells or rows) at the end of its data."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        sheet = source.read(part)
    extra = repeated(element, count)
    if element.startswith(b"<c"):
        extra = b"<row>" + extra + b"</row>"
    assert b"</sheetData>" in sheet
    return rezip(data, replace={part: sheet.replace(b"</sheetData>", extra + b"</sheetData>", 1)})


def ole_file() -> bytes:
    """The start of a Compound File (what an encrypted .xlsx or an old .xls is)."""
    return OLE_MAGIC + b"\0" * 504 + b"EncryptedPackage" + b"\1" * 2048


def add_control(risks: list[Any], status: ControlStatus = ControlStatus.PLANNED, **over: Any) -> Control:
    """A control linked to risks, straight into the tables (the controls pages are another feature)."""
    control = Control(
        title=over.pop("title", "Patrol the lease boundary"),
        department_id=over.pop("department_id", None) or department_id("Security"),
        status=status,
        due_date=over.pop("due_date", date(2020, 1, 31)),
        **over,
    )
    db.session.add(control)
    db.session.flush()
    control.ref = format_ref("C", control.id)
    for risk in risks:
        db.session.execute(sa.insert(risk_controls).values(risk_id=risk.id, control_id=control.id))
    db.session.commit()
    return control
