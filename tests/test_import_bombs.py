"""Workbooks built to exhaust openpyxl: small packages (under the ratio gate) with millions of shared
strings, cell formats, cells or rows, refused by the streaming count
before openpyxl sees them, partway through the part that crosses the bound."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from riskreg.imports.safety import MAX_RATIO
from riskreg.imports.xmlcount import Bounds, PackageCount, PartCount, Stop
from tests.conftest import text_of
from tests.test_import_files import counts
from tests.xlsx_files import (
    MAIN_NS,
    append_row,
    edited,
    export,
    sheet_bomb,
    styles_bomb,
    token_of,
    upload,
    with_shared_strings,
)


@pytest.fixture
def exported(clients, make_risk) -> bytes:
    make_risk(title="Encroachment on the northern lease")
    return export(clients["risk_manager"])


def ratio(data: bytes) -> float:
    """The largest uncompressed : compressed ratio of any part."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return max(item.file_size / max(item.compress_size, 1) for item in archive.infolist())


def refused_quickly(client, bomb: bytes, reason: str, monkeypatch) -> None:
    """Refused with `reason` by the streaming count, nothing saved: openpyxl never opens the bomb,
    and the count stops partway through it (at the bound, not at the end of the part)."""
    assert len(bomb) < 2 * 1024 * 1024 and ratio(bomb) < MAX_RATIO
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        inflated = sum(item.file_size for item in archive.infolist())
    fed: list[int] = []
    opened: list[object] = []
    feed = PartCount.feed
    monkeypatch.setattr(
        PartCount,
        "feed",
        lambda self, chunk, final=False: (fed.append(len(chunk)), feed(self, chunk, final))[1],
    )
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *args, **kwargs: opened.append(args))
    before = counts()
    response = upload(client, bomb)
    page = text_of(response)
    assert response.status_code == 200 and reason in page, page[:2000]
    assert "Import preview" not in page and counts() == before
    assert opened == [], "openpyxl was asked to open the bomb"
    assert 0 < sum(fed) < 0.75 * inflated, f"read {sum(fed):,} of {inflated:,} bytes before refusing"


def test_millions_of_shared_strings(app, clients, exported, monkeypatch):
    bomb = with_shared_strings(exported, 3_000_000)
    refused_quickly(clients["admin"], bomb, "more than 200,000 distinct texts (shared strings)", monkeypatch)


def test_millions_of_cell_formats(app, clients, exported, monkeypatch):
    bomb = styles_bomb(exported, 1_000_000)
    refused_quickly(clients["admin"], bomb, "more than 5,000 cell formats", monkeypatch)


def test_a_sheet_with_too_many_rows(app, clients, exported, monkeypatch):
    bomb = sheet_bomb(exported, b"<row/>", 3_000_000)
    refused_quickly(
        clients["admin"], bomb, "xl/worksheets/sheet1.xml holds more than 100,000 rows", monkeypatch
    )


def test_a_sheet_with_too_many_cells(app, clients, exported, monkeypatch):
    app.config["IMPORT_MAX_SHEET_CELLS"] = 100_000  # the default (1,000,000) is counted as fast, per cell
    bomb = sheet_bomb(exported, b'<c t="n"><v>1</v></c>', 2_000_000)
    refused_quickly(clients["admin"], bomb, "holds more than 100,000 cells", monkeypatch)


def test_the_bounds_count_each_kind_in_every_part(app, clients, exported, monkeypatch):
    """Counted by element, not by part name: a shared-string table stored under another name counts."""
    bomb = with_shared_strings(exported, 400_000, part="xl/texts.bin")
    refused_quickly(clients["admin"], bomb, "more than 200,000 distinct texts", monkeypatch)


def test_each_bound_is_inclusive():
    bounds = Bounds(shared_strings=3, styles=2, cells=4, rows=2)
    sheet = b'<worksheet xmlns="%s"><sheetData><row><c/><c/></row><row><c/><c/></row>' % MAIN_NS
    package = PackageCount(bounds)
    package.part("xl/worksheets/sheet1.xml").feed(sheet)  # 2 rows, 4 cells: at the bounds
    package.part("xl/sharedStrings.xml").feed(b'<sst xmlns="%s"><si/><si/><si/>' % MAIN_NS)
    with pytest.raises(Stop) as stop:
        package.part("xl/sharedStrings2.xml").feed(b'<sst xmlns="%s"><si/>' % MAIN_NS)  # the 4th
    assert (stop.value.kind, stop.value.bound) == ("shared_strings", 3)
    assert stop.value.part == "xl/sharedStrings2.xml"
    with pytest.raises(Stop) as stop:
        package.part("xl/worksheets/sheet2.xml").feed(sheet + b"<row/>")
    assert stop.value.kind == "rows"


def test_an_edited_export_round_trips(app, clients, exported):
    """Under the bounds a workbook is read as before (with a shared-string table, as Excel writes)."""
    changed = edited(
        exported,
        lambda ws: append_row(
            ws,
            Title="Mercury sold at the camp",
            Direction="To communities",
            Category="Environment",
            Owner=ws["F2"].value,
            **{
                "Inherent likelihood": 3,
                "Inherent impact": 4,
                "Residual likelihood": 2,
                "Residual impact": 2,
                "Treatment": "Reduce",
                "Consequence area": "Environment",
            },
        ),
    )
    changed = with_shared_strings(changed, 20_000)
    client = clients["risk_manager"]
    before_risks, _ = counts()
    preview = upload(client, changed)
    assert "Import preview" in text_of(preview), text_of(preview)[:2000]
    response = client.post("/import/confirm", data={"token": token_of(preview)})
    assert response.status_code == 302, text_of(response)[:2000]
    assert counts()[0] == before_risks + 1
