"""The columns of the Register sheet: one list shared by the export and the import."""

from __future__ import annotations

from dataclasses import dataclass

from riskreg.exports.labels import CORPORATE, N_, words
from riskreg.modeling import LabelledEnum
from riskreg.risks.models import Direction, ImpactArea, RiskStatus, Treatment


@dataclass(frozen=True)
class Column:
    header: str  # the English msgid: the workbook shows it translated (labels.words)
    key: str  # the row's attribute (and, for editable columns, the risk's field)
    width: float
    kind: str = "text"  # text | level | int | date | band | enum | list
    editable: bool = False  # read back by the import; the others are worked out by riskreg
    required: bool = False  # the import refuses a Register sheet without this column
    enum: type[LabelledEnum] | None = None
    wrap: bool = False

    @property
    def label(self) -> str:
        """The header in the current language, as the workbook and the import preview show it."""
        return words(self.header)


REGISTER_COLUMNS: tuple[Column, ...] = (
    Column(N_("Ref"), "ref", 10, editable=True, required=True),
    Column(N_("Title"), "title", 48, editable=True, required=True, wrap=True),
    Column(N_("Site"), "site", 22, editable=True),
    Column(N_("Direction"), "direction", 30, "enum", editable=True, required=True, enum=Direction),
    Column(N_("Category"), "category", 27, "list", editable=True, required=True),
    Column(N_("Owner"), "owner", 22, editable=True, required=True),
    Column(N_("Inherent likelihood"), "inherent_likelihood", 11, "level", editable=True, required=True),
    Column(N_("Inherent impact"), "inherent_impact", 11, "level", editable=True, required=True),
    Column(N_("Inherent score"), "inherent_score", 10, "int"),
    Column(N_("Inherent band"), "inherent_band", 11, "band"),
    Column(N_("Residual likelihood"), "residual_likelihood", 11, "level", editable=True, required=True),
    Column(N_("Residual impact"), "residual_impact", 11, "level", editable=True, required=True),
    Column(N_("Residual score"), "residual_score", 10, "int"),
    Column(N_("Residual band"), "residual_band", 11, "band"),
    Column(N_("Target likelihood"), "target_likelihood", 11, "level", editable=True),
    Column(N_("Target impact"), "target_impact", 11, "level", editable=True),
    Column(N_("Target score"), "target_score", 10, "int"),
    Column(N_("Target band"), "target_band", 11, "band"),
    Column(N_("Target date"), "target_date", 13, "date", editable=True),
    Column(N_("Treatment"), "treatment", 12, "enum", editable=True, enum=Treatment),
    Column(N_("Consequence area"), "impact_area", 22, "enum", editable=True, enum=ImpactArea),
    Column(N_("Status"), "status", 11, "enum", editable=True, enum=RiskStatus),
    Column(N_("Next review"), "next_review_date", 13, "date", editable=True),
    Column(N_("Last review"), "last_review", 13, "date"),  # riskreg.reviews: the latest review's date
    Column(N_("Reviews"), "reviews", 9, "int"),  # how many reviews the risk has had
    Column(N_("Controls"), "controls", 10, "int"),
    Column(N_("Open controls"), "open_controls", 10, "int"),
    Column(N_("Overdue controls"), "overdue_controls", 10, "int"),
    Column(N_("Requirements"), "requirements", 36, wrap=True),
    Column(N_("Description"), "description", 60, editable=True, wrap=True),
    Column(N_("Cause"), "cause", 48, editable=True, wrap=True),
    Column(N_("Consequence"), "consequence", 48, editable=True, wrap=True),
)

__all__ = ["CORPORATE", "REGISTER_COLUMNS", "Column"]  # CORPORATE: the Site cell of a corporate risk
