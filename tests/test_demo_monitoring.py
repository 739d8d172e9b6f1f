"""`flask seed demo` grows the ASM monitoring: 18 months of observations at the three sites, their
presence, engagements, the standards and requirement links, and a story that /standards and the
disclosure report tell consistently; loading again changes nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from riskreg.auth.models import User
from riskreg.controls.models import Control
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.reports.disclosure import disclosure_report
from riskreg.risks.models import Risk, risk_requirements
from riskreg.sites.models import AsmObservation, AsmPresence, Engagement, Site
from riskreg.standards.coverage import coverage_matrix
from riskreg.standards.models import Requirement
from tests.asm_helpers import cell_state
from tests.conftest import text_of

MODELS = (AsmObservation, Engagement, Control, Requirement, Risk)


def counts() -> dict[str, int]:
    db.session.rollback()
    result = {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in MODELS}
    result["risk_requirements"] = db.session.scalar(sa.select(sa.func.count()).select_from(risk_requirements))
    return result


def test_demo_monitoring_story(runner, login):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    sites = {s.name: s for s in db.session.scalars(sa.select(Site))}
    presence = {name: site.asm_presence for name, site in sites.items()}
    assert presence == {
        "Nyota Gold Mine": AsmPresence.ON_SITE,
        "Rio Seco Copper Project": AsmPresence.ADJACENT,
        "Kestrel Copper Operation": AsmPresence.NONE,
    }
    for site in sites.values():
        dates = db.session.scalars(
            sa.select(AsmObservation.observed_on).where(AsmObservation.site_id == site.id)
        ).all()
        assert min(dates) <= today() - timedelta(days=500) and max(dates) <= today(), site.name
        assert db.session.scalar(sa.select(sa.func.count(Engagement.id)).where(Engagement.site_id == site.id))
    first = counts()
    assert first["requirements"] >= 25 and first["risk_requirements"] > 30

    # the done-when story: Nyota's IRMA and RJC cells start as gaps; the demo's controls cover others
    nyota = sites["Nyota Gold Mine"]
    irma = next(row for b in coverage_matrix(["IRMA"]).frameworks for row in b.rows)
    assert irma.cells[nyota.id].state == "gap" and irma.cells[nyota.id].risks > 0
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
    client = login(admin, "riskreg-demo-2026")
    html = client.get("/standards").get_data(as_text=True)
    assert cell_state(html, "RJC-COP-35", "Nyota Gold Mine") == "gap"
    assert cell_state(html, "ICMM-PE-9.4", "Rio Seco Copper Project") == "covered"
    page = text_of(client.get(f"/sites/{nyota.id}"))
    assert "Monitoring and engagement timeline" in page and "Formalisation support" in page

    report = disclosure_report(today().year)
    assert [line.name for line in report.operating] == ["Kestrel Copper Operation", "Nyota Gold Mine"]
    assert [line.name for line in report.with_asm] == ["Nyota Gold Mine"] and report.percentage == 50.0

    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0 and "Nothing to do" in second.output
    assert counts() == first
