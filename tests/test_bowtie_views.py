"""The bowtie: drawn on the server as escaped SVG with a table beside it, legible with 8 causes,
8 consequences and 20 controls; causes, consequences and each control's place edited on its page."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from defusedxml import ElementTree as ET

from riskreg.bowtie import layout, queries, services
from riskreg.controls.models import Effectiveness, RiskControl, Role
from riskreg.extensions import db
from riskreg.risks.models import Risk, RiskCause
from tests.controls_support import new_control

SVG = "{http://www.w3.org/2000/svg}"


def crowded(risk, users):
    actor = users["risk_manager"]
    causes = [
        services.add_item(risk, "cause", f"Cause number {n} with rather long words", actor) for n in range(7)
    ]
    consequences = [services.add_item(risk, "consequence", f"Consequence {n}", actor) for n in range(7)]
    db.session.commit()
    first_cause = services.items(risk.id, "cause")
    every = services.items(risk.id, "consequence")
    items = itertools.cycle(
        [(Role.PREVENTIVE, c.id) for c in first_cause] + [(Role.MITIGATING, c.id) for c in every]
    )
    controls = []
    for n in range(20):
        control = new_control(
            actor, "Security", risks=[risk], title=f"Control {n} keeps the tailings dam safe"
        )
        role, item_id = next(items)
        services.set_link(
            risk, control, role, item_id, Effectiveness.PARTIALLY_EFFECTIVE if n % 3 else None, actor
        )
        controls.append(control)
    db.session.commit()
    return causes, consequences, controls


def overlaps(a: layout.Box, b: layout.Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_eight_causes_eight_consequences_twenty_controls_do_not_overlap(make_risk, users):
    risk = make_risk()  # its cause text is the first cause: 8 in all
    crowded(risk, users)
    drawing = queries.bowtie(db.session.get(Risk, risk.id)).drawing
    assert len(drawing.items) == 16 and len(drawing.controls) == 20
    boxes = [*drawing.items, *drawing.controls, drawing.event]
    for a, b in itertools.combinations(boxes, 2):
        assert not overlaps(a, b), (a.title, b.title)
    for box in boxes:
        assert 0 <= box.x and box.x + box.w <= drawing.width and box.y + box.h <= drawing.legend_y


def test_the_page_has_the_svg_and_a_table_of_every_line(make_risk, users, clients):
    risk = make_risk()
    crowded(risk, users)
    page = clients["executive"].get(f"/risks/{risk.id}/bowtie")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg class="bowtie"' in html and 'role="img"' in html and "http://" not in html
    assert html.count("<tr>") >= 21  # the header and one row per line
    assert "Cause number 6 with rather long words" in html and "<script" not in html.split("</header>")[-1]
    assert "Edit the bowtie" not in html  # the executive reads only


def test_the_svg_is_escaped_and_well_formed(make_risk, users, client, clients):
    risk = make_risk(title='Dam <script>alert("x")</script> & spillway')
    services.add_item(
        db.session.get(Risk, risk.id), "consequence", "Flood <b>downstream</b> & loss", users["risk_manager"]
    )
    db.session.commit()
    response = clients["department_head"].get(f"/risks/{risk.id}/bowtie.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert "<script>" not in body and "<b>" not in body
    assert "&lt;script&gt;" in body and "&amp; spillway" in body
    root = ET.fromstring(response.data)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    title = root.find(f"{SVG}title").text
    assert title == f'Bowtie of {risk.ref} Dam <script>alert("x")</script> & spillway'
    assert root.find(f"{SVG}desc").text.startswith("1 causes")
    assert client.get(f"/risks/{risk.id}/bowtie.svg").status_code == 302  # signed out: to sign in


def test_a_control_is_placed_on_a_line_and_rated_for_the_risk(make_risk, users, clients):
    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", risks=[risk])
    cause_id = db.session.scalar(sa.select(RiskCause.id).where(RiskCause.risk_id == risk.id))
    response = clients["risk_manager"].post(
        f"/risks/{risk.id}/controls/{control.id}/bowtie",
        data={"line": f"cause-{cause_id}", "role": "", "effectiveness": "ineffective"},
    )
    assert response.status_code == 302
    db.session.rollback()
    link = db.session.get(RiskControl, (risk.id, control.id))
    assert (link.role, link.cause_id, link.effectiveness) == (
        Role.PREVENTIVE,
        cause_id,
        Effectiveness.INEFFECTIVE,
    )
    svg = clients["risk_manager"].get(f"/risks/{risk.id}/bowtie.svg").get_data(as_text=True)
    assert "ineffective for this risk" in svg


def test_a_wrong_line_is_refused_and_nothing_written(make_risk, users, clients):
    risk = make_risk()
    control = new_control(users["risk_manager"], "Security", risks=[risk])
    cause_id = db.session.scalar(sa.select(RiskCause.id).where(RiskCause.risk_id == risk.id))
    response = clients["risk_manager"].post(
        f"/risks/{risk.id}/controls/{control.id}/bowtie",
        data={"line": f"cause-{cause_id}", "role": "mitigating", "effectiveness": ""},
        follow_redirects=True,
    )
    assert "cannot act on a cause" in response.get_data(as_text=True)
    response = clients["risk_manager"].post(
        f"/risks/{risk.id}/controls/{control.id}/bowtie",
        data={"line": "cause-999999", "role": ""},
        follow_redirects=True,
    )
    assert "acts on a cause of" in response.get_data(as_text=True)
    db.session.rollback()
    link = db.session.get(RiskControl, (risk.id, control.id))
    assert (link.role, link.cause_id, link.effectiveness) == (None, None, None)


def test_the_first_cause_and_the_register_text_mirror_each_other(make_risk, users, clients):
    risk = make_risk(cause="")
    assert services.items(risk.id, "cause") == []
    clients["risk_manager"].post(f"/risks/{risk.id}/causes", data={"text": "  Gold price   high "})
    db.session.rollback()
    assert db.session.get(Risk, risk.id).cause == "Gold price high"
    response = clients["risk_manager"].post(
        f"/risks/{risk.id}/causes", data={"text": "   "}, follow_redirects=True
    )
    assert "Write the cause in a few words. Nothing was saved." in response.get_data(as_text=True)
    assert len(services.items(risk.id, "cause")) == 1
    from riskreg.risks import services as risk_services

    current = db.session.get(Risk, risk.id)
    data = {name: getattr(current, name) for name in risk_services.EDITABLE_FIELDS}
    risk_services.update_risk(
        current, {**data, "cause": "Road opened to the pits"}, users["risk_manager"], current.version
    )
    db.session.commit()
    assert [c.text for c in services.items(risk.id, "cause")] == ["Road opened to the pits"]


def test_many_controls_on_one_line_wrap_into_rows_without_overlap():
    lines = [
        layout.ControlLine(
            n, f"C-{n:04d}", f"Control {n}", Role.PREVENTIVE, 1, Effectiveness.EFFECTIVE, False, n == 0, False
        )
        for n in range(7)
    ]
    drawing = layout.draw("R-0001", "Breach", [(1, "Rain"), (2, "Quake")], [(3, "Flood")], lines)
    boxes = drawing.controls
    assert len({round(b.y) for b in boxes}) == 3  # 3 + 3 + 1
    for a, b in itertools.combinations([*boxes, *drawing.items, drawing.event], 2):
        assert not overlaps(a, b), (a.title, b.title)
    assert boxes[0].stroke_width > boxes[1].stroke_width  # the critical one stands out


def test_the_kept_drawing_follows_every_change_and_the_language(make_risk, users, clients):
    risk = make_risk(title="Tailings dam")
    control = new_control(users["risk_manager"], "Security", risks=[risk], title="Spillway check")
    viewer = clients["executive"]

    def drawing() -> str:
        text = viewer.get(f"/risks/{risk.id}/bowtie").get_data(as_text=True)
        return text[text.index('<svg class="bowtie"') : text.index("</svg>")]

    first = drawing()
    assert drawing() == first and "Spillway check" in first
    for change in (
        lambda: services.add_item(
            db.session.get(Risk, risk.id), "consequence", "Mud downstream", users["risk_manager"]
        ),
        lambda: setattr(db.session.get(type(control), control.id), "title", "Spillway inspection"),
        lambda: setattr(db.session.get(Risk, risk.id), "title", "Tailings dam wall"),
    ):
        change()
        db.session.commit()
        again = drawing()
        assert again != first
        first = again
    assert "Mud downstream" in first and "Spillway inspection" in first and "Tailings dam wall" in first
    assert "Preventive controls" in first
    viewer.get("/me?lang=fr")
    french = drawing()
    assert "Contrôles préventifs" in french and "Preventive controls" not in french
