"""Hand openpyxl only the Register sheet: the other sheets of an export are never read back.

openpyxl's read-only mode scans every sheet that has no <dimension> element (openpyxl's own
write-only files have none) before the first row comes back; on a 20,000-risk export that scan of
the Controls sheet alone was a third of the import time. This copy of the package drops the other
worksheets and gives the Register sheet a dimension hint (the reader ignores its value).
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
from collections.abc import Collection

from defusedxml.ElementTree import fromstring

from riskreg.exports.labels import norm

logger = logging.getLogger(__name__)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
OFFICE_DOCUMENT = "/officeDocument"
WORKSHEET_START = re.compile(rb"<(?:\w+:)?worksheet\b[^>]*>")
DIMENSION = b'<dimension xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ref="A1"/>'


def register_only(data: bytes, sheet_names: Collection[str] = ("register",)) -> bytes:
    """A package with one worksheet left, or the original bytes when anything is unusual.

    `sheet_names`: the names the sheet may have (labels.norm), one per language riskreg speaks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = _sheet_parts(archive)
            keep = next((path for name, path in sheets.items() if norm(name) in sheet_names), None)
            if keep is None or keep not in archive.namelist():
                return data
            drop = set(sheets.values()) - {keep}
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as slim:  # stored: no time spent compressing
                for info in archive.infolist():
                    if info.filename in drop:
                        continue
                    content = archive.read(info)
                    if info.filename == keep:
                        content = _with_dimension(content)
                    slim.writestr(info.filename, content)
            return out.getvalue()
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, SyntaxError) as error:
        logger.info("import: reading the whole package (%r)", error)
        return data


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the part holding its XML, as the workbook's relationships say."""
    workbook = "xl/workbook.xml"
    for rel in fromstring(archive.read("_rels/.rels")).iter(PACKAGE_RELS):
        if rel.get("Type", "").endswith(OFFICE_DOCUMENT):
            workbook = rel.get("Target", workbook).lstrip("/")
    folder, name = posixpath.split(workbook)
    rels = fromstring(archive.read(posixpath.join(folder, "_rels", name + ".rels")))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(PACKAGE_RELS)}
    parts: dict[str, str] = {}
    for sheet in fromstring(archive.read(workbook)).iter(MAIN + "sheet"):
        target = targets.get(sheet.get(RELATIONSHIP), "")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        parts[sheet.get("name", "")] = path
    return parts


def _with_dimension(xml: bytes) -> bytes:
    """Put a <dimension> right after the root start tag, so the size scan stops at once."""
    head = xml[:4096]
    if b"<dimension" in head or b":dimension" in head:
        return xml
    match = WORKSHEET_START.search(head)
    if match is None or match.group(0).endswith(b"/>"):
        return xml
    return xml[: match.end()] + DIMENSION + xml[match.end() :]
