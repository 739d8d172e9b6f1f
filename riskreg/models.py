"""Import hub: every model, so Alembic, the shell and create_all see the whole schema."""

from riskreg.api.models import ApiToken
from riskreg.audit import AuditEvent
from riskreg.auth.models import Role, User
from riskreg.controls.models import (
    Control,
    ControlEvidence,
    ControlNote,
    ControlStatus,
    Effectiveness,
    ReminderDigest,
    control_requirements,
    risk_controls,
)
from riskreg.dashboard.models import BandSnapshot
from riskreg.departments.models import Department
from riskreg.indicators.models import (
    IndicatorDefinition,
    ReviewFlag,
    RiskReview,
    SiteIndicator,
    Trigger,
    indicator_links,
)
from riskreg.mail import NotificationOptOut, OutboxMessage
from riskreg.risks.models import Direction, ImpactArea, Risk, RiskStatus, Treatment, risk_requirements
from riskreg.sites.models import AsmObservation, AsmPresence, Engagement, Site, engagement_controls
from riskreg.standards.models import AppSetting, Requirement
from riskreg.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "AppSetting",
    "AsmObservation",
    "AsmPresence",
    "AuditEvent",
    "BandSnapshot",
    "Control",
    "ControlEvidence",
    "ControlNote",
    "ControlStatus",
    "Department",
    "Direction",
    "Effectiveness",
    "Engagement",
    "IndicatorDefinition",
    "ImpactArea",
    "NotificationOptOut",
    "OutboxMessage",
    "ReminderDigest",
    "Requirement",
    "ReviewFlag",
    "Risk",
    "RiskReview",
    "RiskStatus",
    "Role",
    "Site",
    "SiteIndicator",
    "Treatment",
    "Trigger",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "control_requirements",
    "engagement_controls",
    "indicator_links",
    "risk_controls",
    "risk_requirements",
]
