"""The API's bodies as pydantic models: the same classes validate requests and, through their JSON
Schema (2020-12, which OpenAPI 3.1 uses), make the OpenAPI document (riskreg/api/spec.py).

Request models forbid unknown fields and are strict (a level is 3, not "3" or true); dates are ISO
strings. The register's own rules (residual not above inherent, both target levels or neither...)
stay in the services, which answer with a field name and a message (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from riskreg.controls.models import ControlStatus, Effectiveness
from riskreg.risks.models import Direction, ImpactArea, RiskStatus, Treatment, Trend
from riskreg.sites.models import (
    ActivityType,
    AsmApproach,
    ChemicalUse,
    EngagementMode,
    FormalisationStatus,
    Lifecycle,
    ObservationLocation,
    ObservationSource,
    OecdLegitimacy,
    StakeholderGroup,
    WomenParticipation,
)
from riskreg.sites.models import AsmPresence as SitePresence

Level = Annotated[int, Field(ge=1, le=5, description="A level from 1 to 5 (seeds/matrix.toml).")]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
ShortText = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=20_000)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---------------------------------------------------------------- references in responses


class NamedRef(ResponseModel):
    id: int
    name: str


class Band(ResponseModel):
    key: str
    label: str


# ---------------------------------------------------------------- risks


class RiskCreate(RequestModel):
    """A new risk. Every judgement (direction, category, impact area, owner, the four levels,
    treatment) must be given: nothing is filled in for you."""

    title: ShortText
    description: LongText = ""
    cause: LongText = ""
    consequence: LongText = ""
    site_id: Id | None = Field(None, description="The site; null for a corporate risk.")
    direction: Direction
    category: Annotated[str, Field(max_length=64, description="A category of seeds/categories.toml.")]
    impact_area: ImpactArea
    owner_id: Id
    inherent_likelihood: Level
    inherent_impact: Level
    residual_likelihood: Level
    residual_impact: Level
    target_likelihood: Level | None = None
    target_impact: Level | None = None
    target_date: date | None = None
    treatment: Treatment
    status: RiskStatus = Field(RiskStatus.OPEN, description="Not archived: archive with its own request.")
    trend: Trend | None = None
    next_review_date: date | None = Field(None, description="Empty: derived from the residual band.")
    requirements: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None, max_length=200, description="Codes of standard requirements the risk is linked to."
    )


class RiskPatch(RequestModel):
    """The fields to change; the others keep their values. Send the risk's ETag in If-Match."""

    title: ShortText | None = None
    description: LongText | None = None
    cause: LongText | None = None
    consequence: LongText | None = None
    site_id: Id | None = None
    direction: Direction | None = None
    category: Annotated[str, Field(max_length=64)] | None = None
    impact_area: ImpactArea | None = None
    owner_id: Id | None = None
    inherent_likelihood: Level | None = None
    inherent_impact: Level | None = None
    residual_likelihood: Level | None = None
    residual_impact: Level | None = None
    target_likelihood: Level | None = None
    target_impact: Level | None = None
    target_date: date | None = None
    treatment: Treatment | None = None
    status: RiskStatus | None = None
    trend: Trend | None = None
    next_review_date: date | None = None
    requirements: list[Annotated[str, Field(max_length=32)]] | None = Field(None, max_length=200)
    confirm_residual: bool = Field(False, description="The residual levels were reassessed and kept.")


class ArchiveRequest(RequestModel):
    reason: Annotated[str, Field(max_length=2000)] = ""


class RiskSummary(ResponseModel):
    id: int
    ref: str
    title: str
    site: NamedRef | None
    direction: Direction
    category: str
    impact_area: ImpactArea
    owner: NamedRef
    inherent_likelihood: int
    inherent_impact: int
    inherent_score: int
    inherent_band: Band
    residual_likelihood: int
    residual_impact: int
    residual_score: int
    residual_band: Band
    target_likelihood: int | None
    target_impact: int | None
    target_score: int | None
    target_band: Band | None
    target_date: date | None
    treatment: Treatment
    status: RiskStatus
    trend: Trend | None
    next_review_date: date | None
    residual_assessed_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="The version; the ETag of the risk is this number in quotes.")


class Risk(RiskSummary):
    description: str
    cause: str
    consequence: str
    requirements: list[str] = Field(description="Codes of linked standard requirements.")


class Links(ResponseModel):
    next: str | None = Field(None, description="The next page, or null on the last one.")
    prev: str | None = Field(None, description="The previous page, or null on the first one.")


class RiskPage(ResponseModel):
    items: list[RiskSummary]
    total: int = Field(description="Risks matching every filter.")
    band_counts: dict[str, int] = Field(description="Per band, for the filters without the band filter.")
    links: Links


# ---------------------------------------------------------------- history


class Event(ResponseModel):
    id: int
    at: datetime
    action: str
    actor: NamedRef | None
    changes: dict[str, list[Any]] = Field(description="{field: [before, after]}")
    note: str
    via: str | None = Field(description="How the change came in when not through the pages (the API).")


class History(ResponseModel):
    items: list[Event]


# ---------------------------------------------------------------- problems


class FieldError(ResponseModel):
    field: str
    message: str


class ProblemDetails(ResponseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    current: dict[str, Any] | None = Field(None, description="On a 412: the record as it is now.")


# ---------------------------------------------------------------- controls


class ControlCreate(RequestModel):
    """A new control, assigned to a department (owner: its head unless chosen), with a due date."""

    title: ShortText
    description: LongText = ""
    department_id: Id
    owner_id: Id | None = Field(None, description="Empty: the department's head.")
    due_date: date | None = Field(description="Required by the rules: a control without one is refused.")
    formalisation_support: bool = False
    risk_ids: list[Id] = Field(default_factory=list, max_length=100, description="Risks it mitigates.")


class ControlPatch(RequestModel):
    title: ShortText | None = None
    description: LongText | None = None
    department_id: Id | None = None
    owner_id: Id | None = None
    due_date: date | None = None
    formalisation_support: bool | None = None


class NoteRequest(RequestModel):
    body: Annotated[str, Field(max_length=5000)]


class CloseRequest(RequestModel):
    note: Annotated[str, Field(max_length=5000, description="What was done, and where the proof is.")]


class VerifyRequest(RequestModel):
    effectiveness: Effectiveness
    note: Annotated[str, Field(max_length=5000)] = ""


class RiskRef(ResponseModel):
    id: int
    ref: str
    title: str


class Control(ResponseModel):
    id: int
    ref: str
    title: str
    description: str
    department: NamedRef
    owner: NamedRef | None
    due_date: date | None
    status: ControlStatus
    effectiveness: Effectiveness
    formalisation_support: bool
    closing_note: str
    closed_at: datetime | None
    verified_at: datetime | None
    risks: list[RiskRef]
    created_at: datetime
    updated_at: datetime
    version: int


class ControlPage(ResponseModel):
    items: list[Control]
    total: int
    links: Links


# ---------------------------------------------------------------- sites and observations


class Site(ResponseModel):
    id: int
    name: str
    country: str
    region: str
    latitude: float | None
    longitude: float | None
    commodity: str
    lifecycle: Lifecycle
    asm_presence: SitePresence
    asm_approach: AsmApproach
    description: str
    active: bool
    version: int


class SiteList(ResponseModel):
    items: list[Site]


class ObservationCreate(RequestModel):
    """An ASM observation at the site; the site's presence and indicators follow from it."""

    observed_on: date
    location: ObservationLocation
    distance_km: Annotated[float, Field(ge=0, le=10_000)] | None = None
    miners_estimate: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    minerals: Annotated[str, Field(max_length=200)] = ""
    activity_type: ActivityType
    mercury_use: ChemicalUse = ChemicalUse.NOT_OBSERVED
    cyanide_use: ChemicalUse = ChemicalUse.NOT_OBSERVED
    children_seen: bool = False
    women_participation: WomenParticipation = WomenParticipation.UNKNOWN
    security_incident: bool = False
    formalisation_status: FormalisationStatus = FormalisationStatus.UNKNOWN
    oecd_legitimacy: OecdLegitimacy = OecdLegitimacy.NOT_ASSESSED
    source: ObservationSource
    notes: LongText = ""


class Observation(ResponseModel):
    id: int
    site_id: int
    observed_on: date
    location: ObservationLocation
    distance_km: float | None
    miners_estimate: int | None
    minerals: str
    activity_type: ActivityType
    mercury_use: ChemicalUse
    cyanide_use: ChemicalUse
    children_seen: bool
    women_participation: WomenParticipation
    security_incident: bool
    formalisation_status: FormalisationStatus
    oecd_legitimacy: OecdLegitimacy
    source: ObservationSource
    notes: str
    created_at: datetime


class ObservationPage(ResponseModel):
    items: list[Observation]
    total: int
    links: Links


# ---------------------------------------------------------------- dashboard and standards


class GridFigures(ResponseModel):
    basis: str
    total: int
    unscored: int
    band_counts: dict[str, int]


class DepartmentFigures(ResponseModel):
    id: int
    name: str
    total: int = Field(description="Controls not cancelled.")
    done: int = Field(description="Implemented or verified.")
    overdue: int
    ownerless: int
    undated: int


class Dashboard(ResponseModel):
    """The dashboard's figures for its filters (the same query string as /dashboard)."""

    grids: list[GridFigures]
    review_overdue: int = Field(description="Open or draft risks past their next review date.")
    departments: list[DepartmentFigures]


class RequirementOut(ResponseModel):
    id: int
    code: str
    framework_key: str
    framework: str
    edition: str
    identifier: str
    title: str
    summary: str
    scope: str


class RequirementList(ResponseModel):
    items: list[RequirementOut]


class CoverageCell(ResponseModel):
    """One requirement at one site (site_id null: the Group column, corporate risks and controls)."""

    site_id: int | None
    state: str = Field(description="covered | planned | gap, as on /standards")
    active_controls: int
    planned_controls: int
    risks: int
    engagements: int
    last_engagement: date | None


class CoverageRow(ResponseModel):
    requirement_id: int
    code: str
    title: str
    cells: list[CoverageCell]


class CoverageFramework(ResponseModel):
    key: str
    name: str
    rows: list[CoverageRow]


class CoverageColumn(ResponseModel):
    site_id: int | None
    label: str


class Coverage(ResponseModel):
    columns: list[CoverageColumn]
    frameworks: list[CoverageFramework]
    totals: dict[str, int] = Field(description="cells per state: covered, planned, gap")


class EngagementOut(ResponseModel):
    id: int
    site_id: int
    held_on: date
    stakeholder_group: StakeholderGroup
    mode: EngagementMode
    topics: str
    grievances: str
    formalisation_support: bool
    created_at: datetime


class EngagementPage(ResponseModel):
    items: list[EngagementOut]
    total: int
    links: Links
