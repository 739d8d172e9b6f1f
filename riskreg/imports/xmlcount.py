"""Count what openpyxl would build from a workbook's XML, before it builds any of it.

openpyxl keeps every shared string and every style record of a workbook in memory as soon as it
opens it, and parses whole rows of cells: a small package (88:1, under the ratio gate) can hold
millions of them and tie a worker for minutes. An expat pass over each part as it is inflated counts
those elements (no tree is built, so memory stays flat), refuses DTDs and entities as defusedxml
does, and stops at the first bound crossed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from xml.parsers import expat

NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # Strict Open XML
)
# What each counted element costs openpyxl: a shared string, a style record, a cell or a row.
ELEMENTS = {
    "si": "shared_strings",
    "xf": "styles",
    "font": "styles",
    "fill": "styles",
    "border": "styles",
    "numFmt": "styles",
    "dxf": "styles",
    "cellStyle": "styles",
    "c": "cells",
    "row": "rows",
}
# expat reports a namespaced element as "<namespace> <local name>" (namespace_separator=" ").
KIND_OF = {f"{ns} {local}": kind for ns in NAMESPACES for local, kind in ELEMENTS.items()}
PER_PART = ("cells", "rows")  # bounded per sheet; the others for the whole package


@dataclass(frozen=True)
class Bounds:
    """The most of each a package may hold (config IMPORT_MAX_SHARED_STRINGS and the like)."""

    shared_strings: int
    styles: int
    cells: int  # per sheet
    rows: int  # per sheet


class Stop(Exception):
    """Reading stopped: `kind` crossed its bound in `part` ("entities": the part declares a DTD)."""

    def __init__(self, kind: str, part: str, bound: int = 0):
        super().__init__(kind, part, bound)
        self.kind, self.part, self.bound = kind, part, bound


class PackageCount:
    """The totals of one package; `part(name)` gives the counter to feed that part's bytes to."""

    def __init__(self, bounds: Bounds):
        self.bounds = bounds
        self.totals: Counter[str] = Counter()

    def part(self, name: str) -> PartCount:
        return PartCount(self, name)


class PartCount:
    def __init__(self, package: PackageCount, name: str):
        self.package, self.name = package, name
        self.counts: Counter[str] = Counter()
        self.ended: list[str] = []  # element names, appended by expat itself (no Python call each)
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._declares
        self.parser.EntityDeclHandler = self._declares
        self.parser.ExternalEntityRefHandler = self._declares
        self.parser.EndElementHandler = self.ended.append
        self.readable = True

    def _declares(self, *_args: object) -> None:
        raise Stop("entities", self.name)

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Parse the next bytes of the part; raise Stop as soon as a bound is crossed."""
        if not self.readable:
            return
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            # Not XML (an image) or broken: openpyxl's own parser (expat too) stops at the same place.
            self.readable = False
        self._tally()

    def close(self) -> None:
        self.feed(b"", final=True)

    def _tally(self) -> None:
        for name, count in Counter(self.ended).items():
            kind = KIND_OF.get(name)
            if kind is None:
                continue
            target = self.counts if kind in PER_PART else self.package.totals
            target[kind] += count
            bound = getattr(self.package.bounds, kind)
            if target[kind] > bound:
                raise Stop(kind, self.name, bound)
        self.ended.clear()
