"""Every route x every role: who gets in, who gets 403. A new route must be added here."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from riskreg.audit import AuditEvent
from riskreg.extensions import db
from riskreg.risks.models import RiskCause
from riskreg.standards.models import Requirement

ALL = {"admin", "risk_manager", "department_head", "executive", "grievance_officer"}
EDITORS = {"admin", "risk_manager"}
ADMIN = {"admin"}
# Grievances: everyone but the executive records them; {grievance} is owned by Security (the head's
# department), {legal_grievance} by Legal; only officers and admins touch the complainant.
RECORDERS = ALL - {"executive"}
HANDLERS_ANY = {"admin", "risk_manager", "grievance_officer"}
OFFICERS = {"admin", "grievance_officer"}
# Changes to a control of the head's own department ({control} is a Security control; the
# department head fixture heads Security). {legal_control} is another department's: 403 for them.
UPDATERS = EDITORS | {"department_head"}

# (method, url with {risk} {site} {department} {user} {control} {evidence} {requirement} placeholders,
# roles allowed)
ROUTES: list[tuple[str, str, set[str]]] = [
    ("GET", "/", ALL),
    ("GET", "/me", ALL),
    ("GET", "/me/settings", ALL),
    ("POST", "/me/settings/password", ALL),
    ("POST", "/me/settings/notifications", ALL),
    ("POST", "/me/settings/language", ALL),
    ("GET", "/me/settings/two-factor", ALL),
    ("POST", "/me/settings/two-factor", ALL),
    ("POST", "/me/settings/two-factor/recovery-codes", ALL),
    ("POST", "/me/settings/two-factor/disable", ALL),
    ("GET", "/webhooks", ADMIN),
    ("POST", "/webhooks", ADMIN),
    ("POST", "/webhooks/settings", ADMIN),
    ("GET", "/webhooks/{endpoint}", ADMIN),
    ("POST", "/webhooks/{endpoint}/test", ADMIN),
    ("POST", "/webhooks/{endpoint}/disable", ADMIN),
    ("GET", "/me/tokens", ALL),
    ("POST", "/me/tokens", ALL),
    ("POST", "/me/tokens/{token}/revoke", ALL),
    ("GET", "/risks", ALL),
    ("GET", "/search", ALL),
    ("POST", "/views", ALL),
    ("GET", "/views/{view}", ALL),  # {view} is the risk manager's shared view
    ("POST", "/views/{view}/edit", EDITORS),  # its owner, and admins for a shared one
    ("POST", "/views/{view}/refilter", EDITORS),
    ("POST", "/views/{view}/delete", EDITORS),
    ("POST", "/views/{view}/default", ALL),
    ("POST", "/views/default/clear", ALL),
    ("GET", "/risks/new", EDITORS),
    ("POST", "/risks/new", EDITORS),
    ("GET", "/risks/new/template", EDITORS),
    ("GET", "/risks/{risk}", ALL),
    ("GET", "/risks/{risk}/edit", EDITORS),
    # Comments: whoever sees the risk or control; {comment} is the admin's, {mention} names the executive.
    ("POST", "/risks/{risk}/comments", ALL),
    ("POST", "/controls/{control}/comments", ALL),
    ("GET", "/comments/{comment}/edit", ADMIN),
    ("POST", "/comments/{comment}/edit", ADMIN),
    ("GET", "/comments/mentions/{mention}", {"executive"}),
    ("POST", "/risks/{risk}/edit", EDITORS),
    ("POST", "/risks/{risk}/archive", EDITORS),
    ("POST", "/risks/{risk}/restore", EDITORS),
    ("GET", "/indicators", ALL),
    ("GET", "/indicators/{indicator}", ALL),
    ("GET", "/indicators/{indicator}/edit", ADMIN),
    ("POST", "/indicators/{indicator}/edit", ADMIN),
    ("POST", "/indicators/{indicator}/links", EDITORS),
    ("POST", "/indicators/{indicator}/links/{risk}/delete", EDITORS),
    ("POST", "/risks/{risk}/review", EDITORS),  # and the risk's owner (tests/test_reviews_views.py)
    ("POST", "/risks/bulk", EDITORS),
    ("GET", "/sites", ALL),
    ("GET", "/sites/new", ADMIN),
    ("POST", "/sites/new", ADMIN),
    ("GET", "/sites/{site}", ALL),
    ("GET", "/sites/{site}/edit", ADMIN),
    ("POST", "/sites/{site}/edit", ADMIN),
    ("GET", "/sites/{site}/observations/new", EDITORS),
    ("POST", "/sites/{site}/observations/new", EDITORS),
    ("GET", "/sites/{site}/engagements/new", EDITORS),
    ("POST", "/sites/{site}/engagements/new", EDITORS),
    ("GET", "/sites/{site}/presence", EDITORS),
    ("GET", "/sites/{site}/stakeholders/new", EDITORS),
    ("POST", "/sites/{site}/stakeholders/new", EDITORS),
    ("GET", "/sites/{site}/plans/new", EDITORS),
    ("POST", "/sites/{site}/plans/new", EDITORS),
    ("GET", "/stakeholders/{stakeholder}/edit", EDITORS),
    ("POST", "/stakeholders/{stakeholder}/edit", EDITORS),
    ("POST", "/stakeholders/{stakeholder}/retire", EDITORS),
    ("POST", "/stakeholders/{stakeholder}/restore", EDITORS),
    ("GET", "/plans/{plan}/edit", EDITORS),
    ("POST", "/plans/{plan}/edit", EDITORS),
    ("POST", "/plans/{plan}/retire", EDITORS),
    ("POST", "/plans/{plan}/restore", EDITORS),
    ("POST", "/plans/{plan}/delete", EDITORS),
    ("GET", "/engagement", ALL),
    ("POST", "/sites/{site}/presence", EDITORS),
    ("GET", "/standards", ALL),
    ("GET", "/standards/requirements/{requirement}", ALL),
    ("GET", "/standards/settings", ADMIN),
    ("POST", "/standards/settings", ADMIN),
    ("GET", "/standards/templates", ALL),
    ("GET", "/standards/controls/{control}/requirements", EDITORS),
    ("POST", "/standards/controls/{control}/requirements", EDITORS),
    ("POST", "/standards/risks/{risk}/suggested-controls", EDITORS),
    ("GET", "/reports/asm-disclosure", ALL),
    ("GET", "/grievances", ALL),
    ("GET", "/grievances/settings", ADMIN),
    ("POST", "/grievances/settings", ADMIN),
    ("GET", "/grievances/new", RECORDERS),
    ("POST", "/grievances/new", RECORDERS),
    ("GET", "/grievances/{grievance}", ALL),
    ("GET", "/grievances/{grievance}/edit", RECORDERS),
    ("POST", "/grievances/{grievance}/edit", RECORDERS),
    ("POST", "/grievances/{legal_grievance}/edit", HANDLERS_ANY),
    ("POST", "/grievances/{grievance}/step", RECORDERS),
    ("POST", "/grievances/{grievance}/links", RECORDERS),
    ("POST", "/grievances/{grievance}/complainant", OFFICERS),
    ("POST", "/grievances/{legal_grievance}/step", HANDLERS_ANY),
    ("POST", "/grievances/{legal_grievance}/links", HANDLERS_ANY),
    ("GET", "/departments", ALL),
    ("GET", "/departments/new", ADMIN),
    ("POST", "/departments/new", ADMIN),
    ("GET", "/departments/{department}/edit", ADMIN),
    ("POST", "/departments/{department}/edit", ADMIN),
    ("GET", "/users", ADMIN),
    ("GET", "/users/new", ADMIN),
    ("POST", "/users/new", ADMIN),
    ("GET", "/users/{user}/edit", ADMIN),
    ("POST", "/users/{user}/edit", ADMIN),
    ("POST", "/users/{user}/unlock", ADMIN),
    ("POST", "/users/{user}/reset-2fa", ADMIN),
    ("POST", "/users/{user}/deactivate", ADMIN),
    ("POST", "/users/{user}/activate", ADMIN),
    ("GET", "/controls", ALL),
    ("GET", "/controls/mine", ALL),
    ("GET", "/controls/{control}", ALL),
    ("GET", "/controls/{control}/edit", EDITORS),
    ("POST", "/controls/{control}/edit", EDITORS),
    ("POST", "/controls/{control}/start", UPDATERS),
    ("POST", "/controls/{control}/note", UPDATERS),
    ("POST", "/controls/{control}/close", UPDATERS),
    ("POST", "/controls/{control}/evidence", UPDATERS),
    ("POST", "/controls/{control}/verify", EDITORS),
    ("POST", "/controls/{control}/reopen", EDITORS),
    ("POST", "/controls/{control}/cancel", EDITORS),
    ("GET", "/controls/{control}/evidence/{evidence}", ALL),
    ("POST", "/controls/bulk", UPDATERS),  # heads: their own department's controls only
    ("POST", "/controls/{legal_control}/start", EDITORS),
    ("POST", "/controls/{legal_control}/note", EDITORS),
    ("POST", "/controls/{legal_control}/close", EDITORS),
    ("POST", "/controls/{legal_control}/evidence", EDITORS),
    ("GET", "/risks/{risk}/controls/new", EDITORS),
    ("POST", "/risks/{risk}/controls/new", EDITORS),
    ("POST", "/risks/{risk}/controls/link", EDITORS),
    ("GET", "/risks/{risk}/controls/{control}/unlink", EDITORS),
    ("POST", "/risks/{risk}/controls/{control}/unlink", EDITORS),
    ("POST", "/risks/{risk}/confirm-residual", EDITORS),
    ("GET", "/risks/{risk}/bowtie", ALL),
    ("GET", "/risks/{risk}/bowtie.svg", ALL),
    ("POST", "/risks/{risk}/causes", EDITORS),
    ("POST", "/risks/{risk}/causes/{item}/edit", EDITORS),
    ("POST", "/risks/{risk}/causes/{item}/delete", EDITORS),
    ("POST", "/risks/{risk}/consequences", EDITORS),
    ("POST", "/risks/{risk}/consequences/{item}/edit", EDITORS),
    ("POST", "/risks/{risk}/consequences/{item}/delete", EDITORS),
    ("POST", "/risks/{risk}/controls/{control}/bowtie", EDITORS),
    ("GET", "/controls/critical", ALL),
    ("GET", "/controls/{control}/critical", ALL),
    ("POST", "/controls/{control}/critical", EDITORS),
    ("POST", "/controls/{control}/critical/remove", EDITORS),
    ("POST", "/controls/{control}/schedule", EDITORS),
    # Verifiers: risk managers and the heads of the verifying department (tests/test_critical_views.py);
    # {control} is not critical, so the Security head may not verify it.
    ("GET", "/controls/{control}/verifications/new", EDITORS),
    ("POST", "/controls/{control}/verifications/new", EDITORS),
    ("GET", "/dashboard", ALL),
    ("GET", "/dashboard/plotly.min.js", ALL),
    ("GET", "/export.xlsx", ALL),
    ("POST", "/export.xlsx", ALL),  # the background export (immediate in tests)
    ("GET", "/jobs", ALL),
    ("POST", "/jobs/run", ADMIN),
    # {job} is each role's own export job (another's is a 404: tests/test_jobs.py)
    ("GET", "/jobs/{job}", ALL),
    ("GET", "/jobs/{job}/status", ALL),
    ("GET", "/jobs/{job}/download", ALL),
    ("POST", "/jobs/{job}/retry", ALL),
    ("GET", "/import", EDITORS),
    ("POST", "/import", EDITORS),
    ("POST", "/import/confirm", EDITORS),
    ("POST", "/import/cancel", EDITORS),
    ("GET", "/sites/observation-form.xlsx", EDITORS),
    ("GET", "/sites/import-observations", EDITORS),
    ("POST", "/sites/import-observations", EDITORS),
    ("POST", "/sites/import-observations/confirm", EDITORS),
    ("POST", "/sites/import-observations/cancel", EDITORS),
    ("GET", "/risks/{risk}/acceptance", EDITORS),
    ("POST", "/risks/{risk}/acceptance", EDITORS),
    ("GET", "/acceptances", ALL),
    # Executives decide too; which bands each role may decide is checked per request (a message).
    ("POST", "/acceptances/{acceptance}/decide", ALL - {"department_head", "grievance_officer"}),
    ("GET", "/appetite", ALL),
    ("GET", "/appetite/edit", ADMIN),
    ("POST", "/appetite/edit", ADMIN),
]
# Forms that must carry the version they were opened at: an empty post is a 400.
VERSIONED = {
    ("POST", url)
    for url in (
        "/risks/{risk}/edit",
        "/sites/{site}/edit",
        "/sites/{site}/presence",
        "/standards/controls/{control}/requirements",
        "/controls/{control}/edit",
        "/grievances/{grievance}/edit",
        "/grievances/{legal_grievance}/edit",
        "/stakeholders/{stakeholder}/edit",
        "/plans/{plan}/edit",
        *(
            f"/controls/{{{which}}}/{action}"
            for which in ("control", "legal_control")
            for action in ("start", "close")
        ),
        *(f"/controls/{{control}}/{action}" for action in ("verify", "reopen", "cancel")),
    )
}
# Reachable without signing in, or only by signing in/out.
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),  # its own token or address check: tests/test_observability.py
    ("GET", "/favicon.ico"),
    ("GET", "/login/second-factor"),
    ("POST", "/login/second-factor"),
    ("GET", "/login/oidc"),
    ("GET", "/login/oidc/callback"),
}


def placeholder_url(rule: str) -> str:
    return (
        rule.replace("<int:risk_id>", "{risk}")
        .replace("<int:site_id>", "{site}")
        .replace("<int:department_id>", "{department}")
        .replace("<int:user_id>", "{user}")
        .replace("<int:control_id>", "{control}")
        .replace("<int:requirement_id>", "{requirement}")
        .replace("<int:evidence_id>", "{evidence}")
        .replace("<int:indicator_id>", "{indicator}")
        .replace("<int:item_id>", "{item}")
        .replace("<int:acceptance_id>", "{acceptance}")
        .replace("<int:grievance_id>", "{grievance}")
        .replace("<int:token_id>", "{token}")
        .replace("<int:endpoint_id>", "{endpoint}")
        .replace("<int:stakeholder_id>", "{stakeholder}")
        .replace("<int:plan_id>", "{plan}")
        .replace("<int:job_id>", "{job}")
        .replace("<int:view_id>", "{view}")
        .replace("<int:comment_id>", "{comment}")
        .replace("<int:mention_id>", "{mention}")
    )


def test_every_route_is_in_the_table(app):
    """The API's routes (bearer tokens, not sessions) have their own table: tests/test_api_permissions.py."""
    from tests.test_api_permissions import API_ROUTES

    listed = {(method, url) for method, url, _ in ROUTES} | PUBLIC
    api_listed = {(method, f"/api/v1{path}") for method, path, _ in API_ROUTES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/v1/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
                assert (method, path) in api_listed, f"{method} {rule.rule} is not in the API table"
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, placeholder_url(rule.rule)) in listed, f"{method} {rule.rule} is not in the table"


@pytest.fixture
def users(users, make_user):
    """The shared role users and a grievance officer (of Community Relations)."""
    from riskreg.auth.models import Role

    return {
        **users,
        "grievance_officer": make_user(
            Role.GRIEVANCE_OFFICER, department="Community Relations", name="Gil Griev"
        ),
    }


@pytest.fixture
def objects(make_risk, make_site, users):
    from riskreg.controls.models import ControlEvidence
    from tests.asm_helpers import load_catalogue, observe
    from tests.conftest import department_id
    from tests.controls_support import new_control, store_evidence
    from tests.grievance_support import new_grievance
    from tests.indicator_support import indicator, load_indicators

    load_catalogue()
    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", risks=[risk])
    store_evidence(control, users["risk_manager"])
    site = make_site()
    load_indicators()
    observe(site, miners=10)  # the site's indicators exist from its first observation
    from tests.acceptance_support import request

    acceptance = request(risk, users["risk_manager"], users["executive"])
    return {
        "risk": risk.id,
        "site": site.id,
        "indicator": indicator(site, "miners_on_concession").id,
        "department": department_id("Legal"),
        "user": users["executive"].id,
        "control": control.id,
        "legal_control": new_control(
            users["risk_manager"], "Legal", risks=[risk], owner_id=users["risk_manager"].id
        ).id,
        "evidence": db.session.scalar(sa.select(ControlEvidence.id)),
        "requirement": db.session.scalar(sa.select(sa.func.min(Requirement.id))),
        "item": db.session.scalar(sa.select(sa.func.min(RiskCause.id))),
        "acceptance": acceptance.id,
        "grievance": new_grievance(site, users["admin"], "Security").id,
        "legal_grievance": new_grievance(site, users["admin"], "Legal").id,
        **_stakeholder_and_plan(site, users),
        **_tokens_of_each(users),
        "endpoint": _endpoint(users),
        **_jobs_of_each(users),
        "view": _shared_view(users),
        **_comment(risk, users),
    }


def _stakeholder_and_plan(site, users) -> dict:
    from riskreg.modeling import today
    from riskreg.stakeholders import services
    from tests.grievance_support import new_stakeholder

    stakeholder = new_stakeholder(site)
    data = {"year": today().year, "stakeholder_id": stakeholder.id, "planned_count": 2}
    plan = services.create_plan(site, data, users["risk_manager"])
    db.session.commit()
    return {"stakeholder": stakeholder.id, "plan": plan.id}


def _jobs_of_each(users) -> dict:
    """A finished export job of every role's user, with its file (each role opens its own)."""
    from riskreg.jobs import outputs, services
    from riskreg.jobs.models import JobKind, JobState

    jobs = {}
    for role, user in users.items():
        job = services.create(JobKind.EXPORT, user, {"query": ""})
        job.state, job.output_key, job.output_name = JobState.DONE, outputs.new_key(job.id, "xlsx"), "x.xlsx"
        outputs.save(job.output_key, b"a workbook")  # its content is not what this test is about
        jobs[role] = job.id
    db.session.commit()
    return {"job": jobs["admin"], "jobs": jobs}


def _shared_view(users) -> int:
    from riskreg.savedviews import services

    view = services.create_view(users["risk_manager"], "register", "Team view", "status=open", shared=True)
    db.session.commit()
    return view.id


def _comment(risk, users) -> dict:
    """The admin's comment on {risk}, mentioning the executive."""
    from riskreg.comments import services

    users["executive"].email = "eve.exec@example.com"
    comment, _ = services.add_comment("risk", risk, "For @eve.exec", users["admin"])
    db.session.commit()
    return {"comment": comment.id, "mention": comment.mentions[0].id}


def _endpoint(users) -> int:
    """A webhook endpoint on a closed loopback port (a test event fails at once, and is logged)."""
    from riskreg.webhooks import services

    services.set_allow_private(True, users["admin"])
    endpoint = services.create_endpoint("http://127.0.0.1:9/hook", ["risk.created"], "", users["admin"])
    db.session.commit()
    return endpoint.id


def _tokens_of_each(users) -> dict:
    """A token of every role's user: each role revokes its own (another's is a 404:
    tests/test_api_tokens.py)."""
    from riskreg.api.models import ApiToken
    from tests.api_support import new_token

    for user in users.values():
        new_token(user)
    ids = {user.id: role for role, user in users.items()}
    tokens = {
        ids[user_id]: token_id
        for token_id, user_id in db.session.execute(sa.select(ApiToken.id, ApiToken.user_id))
    }
    return {"token": tokens["executive"], "tokens": tokens}


@pytest.mark.parametrize(("method", "url", "allowed"), ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
@pytest.mark.parametrize("role", sorted(ALL))
def test_role_route_matrix(clients, objects, method, url, allowed, role):
    client = clients[role]
    path = url.format(**{**objects, "token": objects["tokens"][role], "job": objects["jobs"][role]})
    events_before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = client.get(path) if method == "GET" else client.post(path, data={})
    response.close()  # a download holds its file open until the server closes the response
    if role in allowed and (method, url) in VERSIONED:  # past the checks, refused for want of a version
        assert response.status_code == 400 and "which version" in response.get_data(as_text=True), path
    elif role in allowed:
        assert response.status_code in (200, 302), (role, method, path, response.status_code)
    else:
        assert response.status_code == 403, (role, method, path, response.status_code)
        db.session.rollback()  # end the test's snapshot; see what requests committed
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events_before


def test_signed_out_visitors_are_sent_to_sign_in(client, objects):
    for method, url, _ in ROUTES:
        path = url.format(**objects)
        response = client.get(path) if method == "GET" else client.post(path, data={})
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, path)


def test_executive_sees_no_edit_buttons(clients, objects):
    page = clients["executive"].get(f"/risks/{objects['risk']}").get_data(as_text=True)
    assert "/edit" not in page and "/archive" not in page
    assert "New risk" not in clients["executive"].get("/risks").get_data(as_text=True)
