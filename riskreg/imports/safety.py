"""The gate in front of openpyxl: refuse hostile or unusable files before openpyxl parses any XML.

openpyxl guards against XML entity tricks only through defusedxml (a dependency; this module
refuses DTDs itself as well), and not at all against zip bombs, packages of millions of shared
strings or styles (xmlcount.py counts them as the parts are inflated), or macro-enabled and
encrypted files. Every refusal is a RefusedFile with a message for the person who uploaded the file.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from flask_babel import format_decimal

from riskreg.i18n import gettext as _
from riskreg.imports.xmlcount import Bounds, PackageCount, PartCount, Stop

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: .xls, or an encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"
MAX_ENTRIES = 500
MAX_RATIO = 100  # uncompressed / compressed, for members over RATIO_FLOOR bytes
RATIO_FLOOR = 1024 * 1024
CHUNK = 64 * 1024
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam", ".xlsb")
DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


class RefusedFile(ValueError):
    """The file is refused as a whole; str() is the plain-words reason."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_uncompressed: int
    counts: Bounds  # shared strings, styles, cells and rows


def megabytes(size: int) -> str:
    return _("%(size)s MB", size=format_decimal(size / (1024 * 1024), format="0.0"))


def check_workbook(data: bytes, filename: str, limits: Limits) -> None:
    """Raise RefusedFile unless `data` is a plain .xlsx that is safe to hand to openpyxl."""
    name = (filename or "").lower()
    if not data:
        raise RefusedFile(_("The file is empty."))
    if len(data) > limits.max_bytes:
        raise RefusedFile(
            _(
                "The file is %(size)s; riskreg imports workbooks of up to %(limit)s. Split the register "
                "into several files.",
                size=megabytes(len(data)),
                limit=megabytes(limits.max_bytes),
            )
        )
    if data.startswith(OLE_MAGIC):
        raise RefusedFile(
            _(
                "This file is password-protected (encrypted) or in the old Excel 97-2003 format (.xls). "
                "riskreg reads only unprotected .xlsx workbooks: remove the password, or use "
                "Save As > Excel Workbook (.xlsx)."
            )
        )
    if name.endswith(MACRO_SUFFIXES):
        raise RefusedFile(_macro_message())
    if not name.endswith(".xlsx"):
        raise RefusedFile(
            _(
                "riskreg imports Excel workbooks (.xlsx) only; export the register, edit it and upload that "
                "file."
            )
        )
    if not data.startswith(ZIP_MAGIC):
        raise RefusedFile(
            _("This is not an Excel workbook: an .xlsx file is a zip package, this file is not.")
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        with archive:
            _check_members(archive, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, zlib.error) as error:
        raise RefusedFile(
            _("This is not a readable Excel workbook: the package is damaged (%(error)s).", error=error)
        ) from error


def _macro_message() -> str:
    return _(
        "This is a macro-enabled workbook. riskreg never accepts macros: use Save As > "
        "Excel Workbook (.xlsx), which removes them, and upload that file."
    )


def _check_members(archive: zipfile.ZipFile, limits: Limits) -> None:
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        raise RefusedFile(
            _("The package holds %(parts)s parts; a workbook has far fewer. Refused.", parts=len(members))
        )
    names = {member.filename.lower() for member in members}
    if "[content_types].xml" not in names:
        raise RefusedFile(_("This is not an Excel workbook: the package has no [Content_Types].xml."))
    if any(n.endswith("vbaproject.bin") or n.endswith("vbadata.xml") for n in names):
        raise RefusedFile(_macro_message())
    declared = sum(member.file_size for member in members)
    if declared > limits.max_uncompressed:
        raise RefusedFile(_bomb_message(declared, limits))
    for member in members:
        if member.flag_bits & 0x1:
            raise RefusedFile(
                _("Parts of this workbook are encrypted. Remove the password and save it again.")
            )
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise RefusedFile(_bomb_message(declared, limits))
    _read_members(archive, members, limits)


def _read_members(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Inflate every part once, counting real bytes (sizes in a zip header can lie), refusing DTDs,
    and counting the shared strings, styles, cells and rows that openpyxl would build (xmlcount)."""
    total = 0
    package = PackageCount(limits.counts)
    try:
        for member in members:
            total = _read_member(archive, member, limits, package.part(member.filename), total)
    except Stop as stop:
        raise RefusedFile(_count_message(stop)) from None


def _read_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits, counter: PartCount, total: int
) -> int:
    name = member.filename.lower()
    is_xml = name.endswith((".xml", ".rels", ".vml"))
    size, tail = 0, b""
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            total += len(chunk)
            if size > member.file_size or total > limits.max_uncompressed:
                raise RefusedFile(_bomb_message(max(total, member.file_size), limits))
            counter.feed(chunk)  # any part: openpyxl finds shared strings by content type, not name
            if not is_xml:
                continue
            window = tail + chunk  # a marker may straddle two chunks
            if any(marker in window for marker in DTD_MARKERS):
                raise Stop("entities", member.filename)
            if name == "[content_types].xml" and b"macroEnabled" in window:
                raise RefusedFile(_macro_message())
            tail = chunk[-16:]
    counter.close()
    return total


def _count_message(stop: Stop) -> str:
    if stop.kind == "entities":
        return _(
            "The workbook part %(part)s declares a DTD or XML entities, "
            "which Excel never writes and riskreg refuses (XML entity attacks).",
            part=stop.part,
        )
    if stop.kind == "shared_strings":
        return _(
            "This workbook holds more than %(bound)s distinct texts (shared strings), far more "
            "than a register riskreg can import, so it is not opened. If it is a real register, delete "
            "every sheet but %(register)s, save it, and import that file (or split it into several).",
            bound=format_decimal(stop.bound),
            register=_("Register"),
        )
    if stop.kind == "styles":
        return _(
            "This workbook defines more than %(bound)s cell formats (fonts, fills, borders, "
            "number formats), far more than any register needs, so it is not opened. Paste the "
            "%(register)s sheet as values into a new workbook and import that.",
            bound=format_decimal(stop.bound),
            register=_("Register"),
        )
    if stop.kind == "cells":
        return _(
            "The sheet stored as %(part)s holds more than %(bound)s cells, more than riskreg "
            "imports at once, so the workbook is not opened. Delete the sheets other than %(register)s, or "
            "split the register into several files.",
            part=stop.part,
            bound=format_decimal(stop.bound),
            register=_("Register"),
        )
    return _(
        "The sheet stored as %(part)s holds more than %(bound)s rows, more than riskreg "
        "imports at once, so the workbook is not opened. Delete the sheets other than %(register)s, or "
        "split the register into several files.",
        part=stop.part,
        bound=format_decimal(stop.bound),
        register=_("Register"),
    )


def _bomb_message(size: int, limits: Limits) -> str:
    return _(
        "This workbook would unpack to more than %(limit)s (at least %(size)s): it is either far larger "
        "than a register or a compressed bomb. Refused.",
        limit=megabytes(limits.max_uncompressed),
        size=megabytes(size),
    )


def unreadable(error: BaseException, advice: str) -> RefusedFile:
    """What to say of a workbook openpyxl failed on: XML refused by defusedxml (which openpyxl
    wraps in a ValueError) is said as such; anything else gets the caller's advice."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return RefusedFile(
                _("The workbook holds XML that riskreg refuses to read (entity declarations).")
            )
        cause = cause.__cause__ or cause.__context__
    return RefusedFile(_("riskreg could not read this workbook. %(advice)s", advice=advice))
