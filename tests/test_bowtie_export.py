"""The workbook's Bowtie sheet: one row per cause/consequence-control line of the exported risks."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from riskreg.bowtie import services
from riskreg.bowtie.export import bowtie_line_count, bowtie_rows
from riskreg.controls.models import Effectiveness, Role
from riskreg.critical import services as critical_services
from riskreg.extensions import db
from riskreg.risks.filters import parse_risk_filters
from riskreg.risks.models import Risk
from tests.controls_support import new_control
from tests.critical_support import answers, make_critical
from tests.xlsx_files import export, workbook


def test_one_row_per_line_with_role_rating_and_last_verification(make_risk, make_site, users, clients):
    actor = users["risk_manager"]
    site = make_site(name="North pit")
    risk = make_risk(
        title="Tailings dam breach", cause="Heavy rain", consequence="Village flooded", site_id=site.id
    )
    other = make_risk(title="Other risk", cause="", consequence="", site_id=None)
    risk = db.session.get(Risk, risk.id)
    [cause] = services.items(risk.id, "cause")
    [flood] = services.items(risk.id, "consequence")
    services.add_item(risk, "consequence", '=HYPERLINK("x")', actor)  # text, never a formula
    piezo = new_control(actor, "Security", risks=[risk], title="Piezometers read weekly")
    siren = new_control(actor, "Security", risks=[risk], title="Sirens tested")
    loose = new_control(actor, "Legal", risks=[risk, other], title="Permit kept", owner_id=actor.id)
    services.set_link(risk, piezo, Role.PREVENTIVE, cause.id, None, actor)
    services.set_link(risk, siren, Role.MITIGATING, flood.id, Effectiveness.INEFFECTIVE, actor)
    db.session.commit()
    make_critical(piezo, actor)
    critical_services.record_verification(piezo, answers(piezo), actor)
    db.session.commit()

    rows = list(workbook(export(clients["executive"]))["Bowtie"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:5] == ("Risk", "Risk title", "Side", "Cause or consequence", "Control")
    mine = [r for r in body if r[0] == risk.ref]
    assert [(r[2], r[3], r[4]) for r in mine] == [
        ("Cause", "Heavy rain", piezo.ref),
        ("Consequence", "Village flooded", siren.ref),
        ("Consequence", '=HYPERLINK("x")', None),
        ("Role not set", None, loose.ref),
    ]
    assert mine[0][6:] == ("Preventive", "Not assessed", "No", "Yes", mine[0][10])
    assert mine[0][10].startswith("Passed ")
    assert mine[1][6:10] == ("Mitigating", "Ineffective", "Yes", "No")
    assert [r[4] for r in body if r[0] == other.ref] == [loose.ref]
    ws = workbook(export(clients["executive"]))["Bowtie"]
    assert ws.cell(row=4, column=4).data_type == "s"  # the formula-looking text stays text
    # A background export's total counts exactly the rows the sheet holds, per filter too.
    every, one_site = (
        parse_risk_filters(MultiDict()),
        parse_risk_filters(MultiDict({"site": str(site.id)})),
    )
    assert bowtie_line_count(every) == len(body) == len(list(bowtie_rows(every)))
    assert bowtie_line_count(one_site) == len(list(bowtie_rows(one_site))) == len(mine)
