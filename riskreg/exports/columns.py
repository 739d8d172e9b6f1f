"""The columns of the Register sheet: one list shared by the export and the import."""

from __future__ import annotations

from dataclasses import dataclass

from riskreg.modeling import LabelledEnum
from riskreg.risks.models import Direction, ImpactArea, RiskStatus, Treatment


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the row's attribute (and, for editable columns, the risk's field)
    width: float
    kind: str = "text"  # text | level | int | date | band | enum | list
    editable: bool = False  # read back by the import; the others are worked out by riskreg
    required: bool = False  # the import refuses a Register sheet without this column
    enum: type[LabelledEnum] | None = None
    wrap: bool = False


REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("Ref", "ref", 10, editable=True, required=True),
    Column("Title", "title", 48, editable=True, required=True, wrap=True),
    Column("Site", "site", 22, editable=True),
    Column("Direction", "direction", 30, "enum", editable=True, required=True, enum=Direction),
    Column("Category", "category", 27, "list", editable=True, required=True),
    Column("Owner", "owner", 22, editable=True, required=True),
    Column("Inherent likelihood", "inherent_likelihood", 11, "level", editable=True, required=True),
    Column("Inherent impact", "inherent_impact", 11, "level", editable=True, required=True),
    Column("Inherent score", "inherent_score", 10, "int"),
    Column("Inherent band", "inherent_band", 11, "band"),
    Column("Residual likelihood", "residual_likelihood", 11, "level", editable=True, required=True),
    Column("Residual impact", "residual_impact", 11, "level", editable=True, required=True),
    Column("Residual score", "residual_score", 10, "int"),
    Column("Residual band", "residual_band", 11, "band"),
    Column("Target likelihood", "target_likelihood", 11, "level", editable=True),
    Column("Target impact", "target_impact", 11, "level", editable=True),
    Column("Target score", "target_score", 10, "int"),
    Column("Target band", "target_band", 11, "band"),
    Column("Target date", "target_date", 13, "date", editable=True),
    Column("Treatment", "treatment", 12, "enum", editable=True, enum=Treatment),
    Column("Consequence area", "impact_area", 22, "enum", editable=True, enum=ImpactArea),
    Column("Status", "status", 11, "enum", editable=True, enum=RiskStatus),
    Column("Next review", "next_review_date", 13, "date", editable=True),
    Column("Last review", "last_review", 13, "date"),  # riskreg.reviews: the latest review's date
    Column("Reviews", "reviews", 9, "int"),  # how many reviews the risk has had
    Column("Controls", "controls", 10, "int"),
    Column("Open controls", "open_controls", 10, "int"),
    Column("Overdue controls", "overdue_controls", 10, "int"),
    Column("Requirements", "requirements", 36, wrap=True),
    Column("Description", "description", 60, editable=True, wrap=True),
    Column("Cause", "cause", 48, editable=True, wrap=True),
    Column("Consequence", "consequence", 48, editable=True, wrap=True),
)

CORPORATE = "Corporate"  # the Site cell of a risk tied to no single site
