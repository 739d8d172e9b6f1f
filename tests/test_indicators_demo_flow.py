"""Done when (issue 11): at the demo mine, an observation of 500 miners turns the influx indicator
red in the same request, flags the linked risks with the reason, puts the owner's mail on a real
SMTP server on loopback, and a reassessment clears the flag with the history saying why. Also the
demo's own story: triggers, a gap and a reassessment are there for a new user to see."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.indicators.models import ReviewKind, RiskReview, Status, Trigger
from riskreg.indicators.queries import gaps
from riskreg.modeling import today
from riskreg.risks.models import Risk
from riskreg.sites.models import Site
from tests.conftest import text_of
from tests.edit_forms import edited
from tests.indicator_support import indicator, open_flags
from tests.test_sites_monitoring import OBSERVATION

DEMO_PASSWORD = "riskreg-demo-2026"
REASON = "Miners on the concession rose from 470 to 500 over the last 90 days (red at 500 or more)"


def seed_demo(runner) -> dict[str, Site]:
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    return {s.name: s for s in db.session.scalars(sa.select(Site))}


def demo_user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def risk_at(site: Site, template: str) -> Risk:
    return db.session.scalar(sa.select(Risk).where(Risk.site_id == site.id, Risk.template_code == template))


def test_an_observation_of_500_miners_flags_the_register_mails_the_owner_and_a_reassessment_clears_it(
    runner,
    login,
    smtp,  # noqa: F811
):
    sites = seed_demo(runner)
    mine = sites["Nyota Gold Mine"]
    before = indicator(mine, "miners_on_concession")
    assert (before.value, before.status) == (470, Status.AMBER)
    influx, encroachment = risk_at(mine, "A16"), risk_at(mine, "A01")
    assert not open_flags(influx)  # the demo reassessed it already
    client = login(demo_user("risk@example.com"), DEMO_PASSWORD)

    form = {**OBSERVATION, "observed_on": today().isoformat(), "miners_estimate": "500", "children_seen": ""}
    response = client.post(f"/sites/{mine.id}/observations/new", data=form)
    assert response.status_code == 302

    after = indicator(mine, "miners_on_concession")
    assert (after.value, after.status) == (500, Status.RED)
    for risk in (influx, encroachment):
        assert REASON in [flag.trigger.reason for flag in open_flags(risk)]
    mails = smtp.to("risk@example.com")
    assert mails and REASON in mails[-1].get_content()
    assert f"/risks/{influx.id}" in mails[-1].get_content()
    assert any(REASON in m.get_content() for m in smtp.to("security.head@example.com"))  # A01's owner
    page = text_of(client.get("/risks?flagged=yes"))
    assert influx.ref in page and "Review: " in page
    assert REASON in text_of(client.get(f"/risks/{influx.id}"))
    assert REASON in text_of(client.get(f"/sites/{mine.id}"))
    assert REASON in text_of(client.get("/dashboard"))

    db.session.refresh(influx)
    url = f"/risks/{influx.id}/edit"
    response = client.post(
        url, data=edited(client, url, "risk-form", inherent_impact="5", residual_impact="5")
    )
    assert response.status_code == 302, text_of(response)
    assert not open_flags(influx)
    review = db.session.scalars(
        sa.select(RiskReview).where(RiskReview.risk_id == influx.id).order_by(RiskReview.id.desc())
    ).first()
    assert (
        review.kind is ReviewKind.REASSESSED and review.note == "inherent impact 4 → 5, residual impact 4 → 5"
    )
    history = text_of(client.get(f"/risks/{influx.id}"))
    assert f"Reassessed: inherent impact 4 → 5, residual impact 4 → 5. Flags cleared: {REASON}" in history
    assert influx.ref not in text_of(client.get(f"/risks?flagged=yes&site={mine.id}&q={influx.ref}"))


def test_the_demo_shows_triggers_a_gap_and_a_reassessment(runner):
    sites = seed_demo(runner)
    mine, project = sites["Nyota Gold Mine"], sites["Rio Seco Copper Project"]
    reasons = list(db.session.scalars(sa.select(Trigger.reason)))
    assert any(r.startswith("Miners on the concession rose") and "amber at 300" in r for r in reasons)
    assert any(r.startswith("Observations with children seen rose from 1 to 2") for r in reasons)
    found = {(g.indicator.site.name, g.indicator.definition.code, g.template) for g in gaps()}
    assert ("Rio Seco Copper Project", "mercury_use", "B01") in found
    assert ("Nyota Gold Mine", "cyanide_use", "B02") in found  # its water-contamination risk is a draft
    assert not [g for g in gaps(mine.id) if g.indicator.definition.code == "children_seen"]  # B04 is open
    kinds = set(db.session.scalars(sa.select(RiskReview.kind)))
    assert kinds == {ReviewKind.REASSESSED, ReviewKind.NO_CHANGE}
    assert indicator(project, "mercury_use").status is Status.RED
    result = runner.invoke(args=["seed", "demo"])
    assert "Nothing to do" in result.output
    assert len(list(db.session.scalars(sa.select(Trigger.id)))) == len(reasons)
