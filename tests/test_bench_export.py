"""The benchmark's export measurements judge honestly: the floor writes only the cells the export
wrote, and a still progress bar is found in whichever phase it is still."""

from __future__ import annotations

import sys

import openpyxl

from riskreg.config import ROOT

sys.path.insert(0, str(ROOT / "bench"))


def test_the_floor_writes_only_the_cells_the_export_wrote(tmp_path):
    import measure

    source = tmp_path / "export.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Register"
    sheet.append(["Ref", "Title", None, "Note"])
    sheet.append(["R-1", "Encroachment"])  # a short row: the reader pads it with empty cells
    sheet.append([None, None, None, None, "far right"])
    book.save(source)
    floor = measure.export_floor(source, runs=1)
    assert floor["cells"] == 6 and floor["seconds"] >= 0 and floor["above_mb"] >= 0
    bare = openpyxl.load_workbook(source.with_suffix(".bare.xlsx"), read_only=True)
    written = [cell.value for row in bare["Register"].iter_rows() for cell in row if cell.value is not None]
    assert written == ["Ref", "Title", "Note", "R-1", "Encroachment", "far right"]
    assert "" not in written


def test_the_longest_still_stretch_names_the_phases_it_spans():
    from export_job import Change, Trace

    trace = Trace(job_id=1, asked=0.0, running_at=1.0, finished_at=9.0)
    trace.changes = [
        Change(1.0, 0, 100, "Writing the register sheet"),
        Change(1.5, 10, 100, "Writing the register sheet"),
        Change(2.0, 20, 100, "Writing the register sheet"),
        Change(2.2, 20, 100, "Writing the heatmap sheet"),  # a new phase, the same value
        Change(5.0, 20, 100, "Writing the bowtie sheet"),
        Change(6.0, 60, 100, "Writing the bowtie sheet"),
        Change(8.5, 100, 100, "Saving the workbook"),
    ]
    gap, phases = trace.longest_still()
    assert round(gap, 1) == 4.0  # from 2.0 (20) to 6.0 (60)
    assert phases == "Writing the register sheet → Writing the heatmap sheet → Writing the bowtie sheet"
    assert trace.value_changes() == 4
