"""Sites, the ASM observations made at them, and engagements with ASM stakeholders."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from riskreg.controls.models import Control


class Lifecycle(LabelledEnum):
    EXPLORATION = "exploration"
    CONSTRUCTION = "construction"
    OPERATING = "operating"
    CLOSURE = "closure"
    CLOSED = "closed"


class AsmPresence(LabelledEnum):
    NONE = "none"
    ADJACENT = "adjacent"
    ON_SITE = "on_site"

    @property
    def label(self) -> str:
        return {"none": "No ASM", "adjacent": "Adjacent", "on_site": "On site"}[self.value]


class PresenceSource(LabelledEnum):
    OBSERVATIONS = "observations"
    MANUAL = "manual"


class AsmApproach(LabelledEnum):
    """The site's stance towards ASM, from keeping it out to working with it."""

    NOT_DEFINED = "not_defined"
    EXCLUSION = "exclusion"
    COEXISTENCE = "coexistence"
    ENGAGEMENT = "engagement"
    FORMALISATION_SUPPORT = "formalisation_support"
    INTEGRATION = "integration"


class Site(db.Model):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    country: Mapped[str] = mapped_column(sa.String(80))
    region: Mapped[str] = mapped_column(sa.String(120), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    commodity: Mapped[str] = mapped_column(sa.String(80), default="")
    lifecycle: Mapped[Lifecycle] = mapped_column(enum_type(Lifecycle), default=Lifecycle.OPERATING)
    asm_presence: Mapped[AsmPresence] = mapped_column(
        enum_type(AsmPresence), default=AsmPresence.NONE, index=True
    )
    asm_presence_source: Mapped[PresenceSource] = mapped_column(
        enum_type(PresenceSource), default=PresenceSource.OBSERVATIONS
    )
    asm_presence_reason: Mapped[str] = mapped_column(sa.Text, default="")
    asm_approach: Mapped[AsmApproach] = mapped_column(enum_type(AsmApproach), default=AsmApproach.NOT_DEFINED)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"
        ),
    )

    def __repr__(self) -> str:
        return f"<Site {self.id} {self.name}>"


class ObservationLocation(LabelledEnum):
    ON_CONCESSION = "on_concession"
    ADJACENT = "adjacent"
    DISTANT = "distant"

    @property
    def label(self) -> str:
        return {
            "on_concession": "On the concession",
            "adjacent": "Adjacent to the concession",
            "distant": "At a distance",
        }[self.value]


class ActivityType(LabelledEnum):
    ALLUVIAL = "alluvial"
    RIVER_DREDGING = "river_dredging"
    HARD_ROCK_OPEN_PIT = "hard_rock_open_pit"
    UNDERGROUND = "underground"
    TAILINGS_REPROCESSING = "tailings_reprocessing"
    PROCESSING_ONLY = "processing_only"
    OTHER = "other"


class ChemicalUse(LabelledEnum):
    NOT_OBSERVED = "not_observed"
    REPORTED = "reported"
    OBSERVED = "observed"


class WomenParticipation(LabelledEnum):
    NONE_SEEN = "none_seen"
    SOME = "some"
    SIGNIFICANT = "significant"
    UNKNOWN = "unknown"


class FormalisationStatus(LabelledEnum):
    LICENSED = "licensed"
    APPLICATION_PENDING = "application_pending"
    DESIGNATED_ZONE_UNLICENSED = "designated_zone_unlicensed"
    UNLICENSED = "unlicensed"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        if self is FormalisationStatus.DESIGNATED_ZONE_UNLICENSED:
            return "In a designated ASM zone, unlicensed"
        return super().label


class OecdLegitimacy(LabelledEnum):
    LEGITIMATE = "legitimate"
    FORMALISING_IN_GOOD_FAITH = "formalising_in_good_faith"
    NOT_LEGITIMATE = "not_legitimate"
    NOT_ASSESSED = "not_assessed"


class ObservationSource(LabelledEnum):
    PATROL = "patrol"
    COMMUNITY_LIAISON = "community_liaison"
    AERIAL_IMAGERY = "aerial_imagery"
    SATELLITE_IMAGERY = "satellite_imagery"
    THIRD_PARTY = "third_party"
    FIELD_VISIT = "field_visit"


class AsmObservation(db.Model):
    __tablename__ = "asm_observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    observed_on: Mapped[date]
    location: Mapped[ObservationLocation] = mapped_column(enum_type(ObservationLocation))
    distance_km: Mapped[float | None]
    miners_estimate: Mapped[int | None]
    minerals: Mapped[str] = mapped_column(sa.String(200), default="")
    activity_type: Mapped[ActivityType] = mapped_column(enum_type(ActivityType))
    mercury_use: Mapped[ChemicalUse] = mapped_column(
        enum_type(ChemicalUse, "mercury_use"), default=ChemicalUse.NOT_OBSERVED
    )
    cyanide_use: Mapped[ChemicalUse] = mapped_column(
        enum_type(ChemicalUse, "cyanide_use"), default=ChemicalUse.NOT_OBSERVED
    )
    children_seen: Mapped[bool] = mapped_column(default=False)
    women_participation: Mapped[WomenParticipation] = mapped_column(
        enum_type(WomenParticipation), default=WomenParticipation.UNKNOWN
    )
    security_incident: Mapped[bool] = mapped_column(default=False)
    formalisation_status: Mapped[FormalisationStatus] = mapped_column(
        enum_type(FormalisationStatus), default=FormalisationStatus.UNKNOWN
    )
    oecd_legitimacy: Mapped[OecdLegitimacy] = mapped_column(
        enum_type(OecdLegitimacy), default=OecdLegitimacy.NOT_ASSESSED
    )
    source: Mapped[ObservationSource] = mapped_column(enum_type(ObservationSource))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # KoboToolbox / ODK submission (instanceID) it was imported from: an import never repeats one
    submission_id: Mapped[str | None] = mapped_column(sa.String(120), unique=True)

    site: Mapped[Site] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_asm_observations_site_observed", "site_id", "observed_on"),
        sa.CheckConstraint("miners_estimate IS NULL OR miners_estimate >= 0", name="miners_nonnegative"),
        sa.CheckConstraint("distance_km IS NULL OR distance_km >= 0", name="distance_nonnegative"),
    )


class StakeholderGroup(LabelledEnum):
    ASM_MINERS = "asm_miners"
    ASM_COOPERATIVE = "asm_cooperative"
    TRADERS = "traders"
    COMMUNITY_LEADERS = "community_leaders"
    ASM_AUTHORITY = "asm_authority"
    LOCAL_GOVERNMENT = "local_government"
    CIVIL_SOCIETY = "civil_society"
    SECURITY_FORCES = "security_forces"
    WOMEN_GROUPS = "women_groups"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "asm_miners": "ASM miners",
            "asm_cooperative": "ASM cooperative or association",
            "asm_authority": "ASM / mining authority",
            "women_groups": "Women's groups",
        }.get(self.value) or super().label


class EngagementMode(LabelledEnum):
    DIRECT = "direct"
    INDIRECT = "indirect"


engagement_controls = sa.Table(
    "engagement_controls",
    db.metadata,
    sa.Column("engagement_id", sa.ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("control_id", sa.ForeignKey("controls.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Engagement(db.Model):
    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    held_on: Mapped[date]
    stakeholder_group: Mapped[StakeholderGroup] = mapped_column(enum_type(StakeholderGroup))
    mode: Mapped[EngagementMode] = mapped_column(enum_type(EngagementMode))
    topics: Mapped[str] = mapped_column(sa.Text, default="")
    grievances: Mapped[str] = mapped_column(sa.Text, default="")
    formalisation_support: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The stakeholder met (one of the site's map); None for entries logged before the map existed.
    stakeholder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stakeholders.id"), index=True)

    site: Mapped[Site] = relationship(lazy="raise")
    follow_up_controls: Mapped[list[Control]] = relationship(secondary=engagement_controls, lazy="raise")

    __table_args__ = (sa.Index("ix_engagements_site_held", "site_id", "held_on"),)
