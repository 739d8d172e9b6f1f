"""Every HTML page of riskreg, for each role: the GET routes of the app's URL map, their ids filled
from the live server's demo data. The accessibility and phone-width checks walk these pages.

`NOT_PAGES` names every GET endpoint that answers with something other than a page (a file, JSON,
a redirect) and why; `test_every_page_is_walked` fails when a new GET route is neither walked nor
listed there, so a page added later cannot escape the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from riskreg import models

# One demo user per role (seeds/demo.toml).
ROLE_USERS = {
    "admin": "admin@example.com",
    "risk_manager": "risk@example.com",
    "executive": "exec@example.com",
    "department_head": "community.head@example.com",
    "grievance_officer": "grievance.officer@example.com",
}

# Endpoints that are not pages, with the reason (their own tests cover them).
NOT_PAGES: dict[str, str] = {
    "static": "a file",
    "favicon": "a file",
    "dashboard.plotly_js": "a file",
    "api.docs_asset": "a file",
    "exports.register": "a workbook",
    "fieldforms.form": "a workbook",
    "bowtie.svg": "an image",
    "controls.download": "an evidence file",
    "jobs.download": "a job's file",
    "jobs.status": "JSON for the progress script",
    "health.healthz": "plain text for probes",
    "observability.metrics": "Prometheus text",
    "auth.oidc_start": "a redirect to the identity provider",
    "auth.oidc_callback": "a redirect back from the identity provider",
    "auth.second_factor": "only reachable half-way through a sign-in with two factors",
    "comments.open_mention": "a redirect to the comment's page",
    "savedviews.open": "a redirect to the saved filter",
}
# Pages of one person's own objects: anyone else gets a 404, as if the object did not exist.
OWN_ONLY: dict[str, str] = {"jobs.detail": "a job is seen only by the person who asked for it"}
# The API's JSON routes are not pages; its documentation page is.
API_PAGES = {"api.docs"}

# How each URL argument is filled: the first row of its table in id order, optionally filtered.
IdLookup = Callable[[Any], int | None]


def first(model: Any, *where: Any) -> IdLookup:
    def lookup(session: Any) -> int | None:
        return session.scalar(select(model.id).where(*where).order_by(model.id).limit(1))

    return lookup


ARGUMENTS: dict[str, IdLookup] = {
    "risk_id": first(models.Risk),
    "control_id": first(models.Control),
    "site_id": first(models.Site),
    "grievance_id": first(models.Grievance),
    "indicator_id": first(models.IndicatorDefinition),
    "department_id": first(models.Department),
    "plan_id": first(models.EngagementPlan),
    "stakeholder_id": first(models.Stakeholder),
    "requirement_id": first(models.Requirement),
    "user_id": first(models.User),
    "comment_id": first(models.Comment),
    "job_id": first(models.Job),
    "endpoint_id": first(models.WebhookEndpoint),
    "evidence_id": first(models.ControlEvidence),
    "view_id": first(models.SavedView),
    "mention_id": first(models.Mention),
}


@dataclass(frozen=True)
class Page:
    endpoint: str
    path: str


def is_page(rule: Any) -> bool:
    if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
        return False
    return not rule.endpoint.startswith("api.") or rule.endpoint in API_PAGES


def site_pages(app: Any, session: Any) -> tuple[list[Page], dict[str, str]]:
    """(pages to walk, {endpoint: why it could not be walked}) for the app's current data."""
    pages: list[Page] = []
    missing: dict[str, str] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not is_page(rule):
            continue
        values: dict[str, int] = {}
        for argument in sorted(rule.arguments):
            lookup = ARGUMENTS.get(argument)
            value = lookup(session) if lookup else None
            if value is None:
                missing[rule.endpoint] = f"no value for <{argument}> in the data"
                break
            values[argument] = value
        else:
            with app.test_request_context():
                from flask import url_for

                pages.append(Page(rule.endpoint, url_for(rule.endpoint, **values)))
    return pages, missing


def add_missing_objects(app: Any) -> None:
    """One comment, one job and one webhook endpoint, made through riskreg's services in the live
    database: the demo data has none, so their pages (comments.edit, jobs.detail, webhooks.detail)
    would otherwise escape the walks. Idempotent: a second call adds nothing."""
    from riskreg.comments import services as comments
    from riskreg.extensions import db
    from riskreg.jobs import services as jobs
    from riskreg.jobs.models import JobKind
    from riskreg.webhooks import services as webhooks
    from riskreg.webhooks.delivery import EVENTS

    with app.app_context():
        session = db.session
        user = {role: select(models.User).where(models.User.email == e) for role, e in ROLE_USERS.items()}
        risk_manager = session.scalar(user["risk_manager"])
        if session.scalar(select(models.Comment.id).limit(1)) is None:
            risk = session.get(models.Risk, first(models.Risk)(session))
            text = "Checked with the site team: the fence line holds."
            comments.add_comment("risk", risk, text, risk_manager)
        if session.scalar(select(models.Job.id).limit(1)) is None:
            # Queued, never enqueued: the live server has no worker, and its page shows the wait.
            jobs.create(JobKind.EXPORT, risk_manager, {"query": ""})
        if session.scalar(select(models.WebhookEndpoint.id).limit(1)) is None:
            admin = session.scalar(user["admin"])
            # A loopback receiver needs the private-address setting for a moment; the endpoint is
            # disabled at once so the other journeys' changes queue no deliveries to it.
            webhooks.set_allow_private(True, admin)
            endpoint = webhooks.create_endpoint(
                "http://127.0.0.1:9/riskreg-hook", sorted(EVENTS)[:1], "Walk check", admin
            )
            webhooks.set_allow_private(False, admin)
            webhooks.disable_endpoint(endpoint, admin)
        session.commit()
        session.remove()
