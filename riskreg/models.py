"""Import hub: every model, so Alembic, the shell and create_all see the whole schema."""

from riskreg.acceptances.models import Acceptance, AcceptanceState
from riskreg.api.models import ApiToken
from riskreg.appetite.models import AppetiteCount, CategoryAppetite, RiskCover
from riskreg.audit import AuditEvent
from riskreg.auth.models import RecoveryCode, Role, SignInSource, User
from riskreg.comments.models import Comment, Mention
from riskreg.controls.models import (
    Control,
    ControlEvidence,
    ControlNote,
    ControlStatus,
    Effectiveness,
    ReminderDigest,
    RiskControl,
    control_requirements,
    risk_controls,
)
from riskreg.critical.models import (
    PerformanceStandard,
    StandardCheck,
    Verification,
    VerificationAnswer,
    VerificationSchedule,
    VerificationTask,
    schedule_sites,
)
from riskreg.dashboard.models import BandSnapshot
from riskreg.departments.models import Department
from riskreg.grievances.models import (
    Grievance,
    GrievanceComplainant,
    GrievanceStep,
    grievance_controls,
    grievance_risks,
)
from riskreg.indicators.models import (
    IndicatorDefinition,
    ReviewFlag,
    SiteIndicator,
    Trigger,
    indicator_links,
)
from riskreg.jobs.models import Job, JobKind, JobState
from riskreg.mail import NotificationOptOut, OutboxMessage
from riskreg.reviews.models import ReviewKind, ReviewReminder, RiskReview
from riskreg.risks.models import (
    Direction,
    ImpactArea,
    Risk,
    RiskCause,
    RiskConsequence,
    RiskStatus,
    Treatment,
    risk_requirements,
)
from riskreg.savedviews.models import DefaultView, SavedView
from riskreg.search import index as search_index  # noqa: F401  (its DDL runs with create_all)
from riskreg.sites.models import AsmObservation, AsmPresence, Engagement, Site, engagement_controls
from riskreg.stakeholders.models import EngagementPlan, Stakeholder, plan_requirements, plan_risks
from riskreg.standards.models import AppSetting, Requirement
from riskreg.storage.models import StoredChunk, StoredObject
from riskreg.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Job",
    "JobKind",
    "JobState",
    "Mention",
    "Acceptance",
    "AcceptanceState",
    "ApiToken",
    "Comment",
    "AppSetting",
    "AsmObservation",
    "AsmPresence",
    "AuditEvent",
    "BandSnapshot",
    "AppetiteCount",
    "CategoryAppetite",
    "RiskCover",
    "Control",
    "ControlEvidence",
    "ControlNote",
    "ControlStatus",
    "Department",
    "RecoveryCode",
    "SignInSource",
    "Direction",
    "Effectiveness",
    "Engagement",
    "PerformanceStandard",
    "RiskCause",
    "RiskConsequence",
    "RiskControl",
    "StandardCheck",
    "Verification",
    "VerificationAnswer",
    "VerificationSchedule",
    "VerificationTask",
    "schedule_sites",
    "EngagementPlan",
    "Grievance",
    "GrievanceComplainant",
    "GrievanceStep",
    "IndicatorDefinition",
    "ImpactArea",
    "NotificationOptOut",
    "OutboxMessage",
    "ReminderDigest",
    "Requirement",
    "ReviewFlag",
    "ReviewKind",
    "ReviewReminder",
    "Risk",
    "RiskReview",
    "RiskStatus",
    "Role",
    "SavedView",
    "DefaultView",
    "Site",
    "SiteIndicator",
    "Stakeholder",
    "StoredChunk",
    "StoredObject",
    "Treatment",
    "Trigger",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "control_requirements",
    "engagement_controls",
    "grievance_controls",
    "grievance_risks",
    "indicator_links",
    "plan_requirements",
    "plan_risks",
    "risk_controls",
    "risk_requirements",
]
