"""The department head's journey: sign in, land on "My controls", close a Security control with a
closing note and a PDF as evidence, see it leave the open list; a Legal control offers him nothing.

The controls are assigned in the test's own setup, through the same services the risk manager's
control panel calls, so this journey passes alone or in any order with the others."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from riskreg.auth.models import User
from riskreg.controls import services as control_services
from riskreg.controls.models import OPEN_CONTROL_STATUSES, Control, ControlEvidence, ControlStatus
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.risks import services as risk_services
from riskreg.risks.models import Direction, ImpactArea, RiskStatus, Treatment
from riskreg.sites.models import Site
from tests.browser.words import enum_label, own, t, tn

pytestmark = [pytest.mark.browser, pytest.mark.journey]

RISK_MANAGER = "risk@example.com"
SECURITY_HEAD = "security.head@example.com"


@dataclass(frozen=True)
class Assigned:
    risk_id: int
    risk_ref: str
    security: tuple[int, str, str]  # id, ref, title
    legal: tuple[int, str, str]


def department_id(name: str) -> int:
    return db.session.scalar(sa.select(Department.id).where(Department.name == name))


@pytest.fixture
def assigned(live_server, journey_language) -> Assigned:
    """A risk with a Security and a Legal control, as the risk manager's journey leaves them."""
    with live_server.app.app_context():
        manager = db.session.scalar(sa.select(User).where(User.email == RISK_MANAGER))
        site_id = db.session.scalar(sa.select(Site.id).where(Site.name == "Nyota Gold Mine"))
        risk = risk_services.create_risk(
            {
                "title": own("Artisanal miners re-processing the old tailings at night"),
                "description": "Groups enter the tailings area after dark to re-process old tailings.",
                "site_id": site_id,
                "direction": Direction.TO_ASM,
                "category": "Health & Safety",
                "impact_area": ImpactArea.SAFETY,
                "owner_id": manager.id,
                "inherent_likelihood": 4,
                "inherent_impact": 5,
                "residual_likelihood": 3,
                "residual_impact": 5,
                "treatment": Treatment.REDUCE,
                "status": RiskStatus.OPEN,
            },
            manager,
        )
        made = {}
        for department, title, days in (
            ("Security", own("Lighting and cameras at the tailings re-processing area"), 3),
            ("Legal", own("Review of the access agreement for the tailings area"), 30),
        ):
            control = control_services.create_control(
                {
                    "title": title,
                    "description": f"Assigned to {department} from the risk's page.",
                    "department_id": department_id(department),
                    "owner_id": None,  # the department's head
                    "due_date": date.today() + timedelta(days=days),
                    "formalisation_support": False,
                },
                manager,
                risks=[risk],
            )
            made[department] = (control.id, control.ref, title)
        result = Assigned(risk.id, risk.ref, made["Security"], made["Legal"])
        db.session.commit()
        db.session.remove()
    return result


def evidence_pdf(folder: Path) -> Path:
    """A small, valid one-page PDF (header, objects, cross-reference table, trailer)."""
    text = b"BT /F1 14 Tf 72 720 Td (Lighting and cameras installed; patrol log attached.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path = folder / "tailings-lighting-evidence.pdf"
    path.write_bytes(bytes(body))
    return path


def open_in(live_server, department: str) -> int:
    with live_server.session() as session:
        return session.scalar(
            sa.select(sa.func.count(Control.id))
            .join(Department, Department.id == Control.department_id)
            .where(Department.name == department, Control.status.in_(OPEN_CONTROL_STATUSES))
        )


def test_department_head_closes_his_control_with_evidence(browsing, live_server, sign_in, assigned, tmp_path):
    page = browsing.page
    control_id, ref, title = assigned.security
    legal_id, legal_ref, legal_title = assigned.legal
    pdf = evidence_pdf(tmp_path)
    note = "Floodlights and two cameras installed at the tailings area; night patrol log attached."

    sign_in(page, SECURITY_HEAD)
    expect(page).to_have_url(re.compile(r"/me$"))  # every role lands on "My work", with their controls
    expect(
        page.get_by_role(
            "heading", name=re.compile(re.escape(t("Open controls of %(department)s", department="Security")))
        )
    ).to_be_visible()
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("My controls")).click()
    expect(page).to_have_url(re.compile(r"/controls/mine$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("%(department)s: open controls", department="Security")
    )
    open_chip = (
        page.get_by_role("list", name=t("Summary"))
        .get_by_role("listitem")
        .filter(has_text=t("Open <strong>%(count)s</strong>", count="").split("<")[0].strip())
    )
    open_before = open_in(live_server, "Security")
    expect(open_chip.locator("strong")).to_have_text(str(open_before))

    card = page.locator("ol.my-controls > li").filter(has=page.get_by_role("heading", name=title))
    expect(card).to_have_count(1)
    expect(card).to_contain_text(ref)
    expect(card).to_contain_text(enum_label(ControlStatus.PLANNED))
    expect(card).to_contain_text(t("mitigates %(risks)s", risks=assigned.risk_ref))
    expect(card).to_contain_text(assigned.risk_ref)

    card.locator("summary", has_text=t("Close as implemented")).click()
    card.get_by_label(t("Closing note (required)")).fill(note)
    card.get_by_label(t("Evidence files (optional)")).set_input_files(pdf)
    with page.expect_navigation():
        card.get_by_role("button", name=t("Close as implemented")).click()

    expect(page).to_have_url(re.compile(r"/controls/mine$"))
    expect(page.locator(".flashes")).to_contain_text(
        tn(
            "%(ref)s closed as implemented with %(num)d evidence file. A risk manager will verify it.",
            "%(ref)s closed as implemented with %(num)d evidence files. A risk manager will verify it.",
            1,
            ref=ref,
        )
    )
    expect(card).to_have_count(0)  # it left the open list
    expect(open_chip.locator("strong")).to_have_text(str(open_before - 1))
    assert open_in(live_server, "Security") == open_before - 1
    awaiting = page.locator(
        "section", has=page.get_by_role("heading", name=t("Implemented, awaiting verification"))
    )
    closed_row = awaiting.get_by_role("row").filter(has_text=ref)
    expect(closed_row).to_contain_text(title)
    expect(closed_row).to_contain_text("Samuel Mensah")
    browsing.keep("my-controls")

    # The control's page: the closing note, and the PDF exactly as uploaded.
    with page.expect_navigation():
        closed_row.get_by_role("link", name=ref).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#overview")).to_contain_text(note)
    expect(page.locator("#overview")).to_contain_text(enum_label(ControlStatus.IMPLEMENTED))
    # his: more evidence
    expect(page.locator("#work").get_by_role("button", name=t("Upload"))).to_be_visible()
    with page.expect_download() as download_info:
        page.locator("#evidence").get_by_role("link", name=pdf.name).click()
    download = download_info.value
    assert download.failure() is None
    assert Path(download.path()).read_bytes() == pdf.read_bytes()
    with live_server.session() as session:
        closed = session.execute(
            sa.select(Control.status, Control.closing_note, User.email)
            .join(User, User.id == Control.closed_by_id)
            .where(Control.id == control_id)
        ).one()
        stored = session.execute(
            sa.select(ControlEvidence.original_name, ControlEvidence.sha256).where(
                ControlEvidence.control_id == control_id
            )
        ).all()
    assert tuple(closed) == (ControlStatus.IMPLEMENTED, note, SECURITY_HEAD)
    assert stored == [(pdf.name, hashlib.sha256(pdf.read_bytes()).hexdigest())]

    # The Legal control of the same risk: he can read it, but nothing on it is his to change.
    with page.expect_navigation():
        page.locator("#risks").get_by_role("link", name=assigned.risk_ref).click()
    risk_controls = page.locator("#controls")
    expect(risk_controls.get_by_role("row").filter(has_text=legal_title)).to_contain_text("Legal")
    expect(risk_controls.get_by_text(t("Add a new control"))).to_have_count(0)
    expect(risk_controls.get_by_role("button")).to_have_count(0)
    with page.expect_navigation():
        risk_controls.get_by_role("link", name=legal_title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(legal_title)
    expect(page.locator("#overview")).to_contain_text("Legal")
    main = page.get_by_role("main")
    # Nothing to change; the one button is the comment form's (anyone who reads a control may comment).
    expect(main.get_by_role("button")).to_have_count(1)
    expect(main.locator("form.comment-form").get_by_role("button", name=t("Add comment"))).to_have_count(1)
    expect(main.get_by_role("heading", name=t("Work on it"))).to_have_count(0)
    expect(main.get_by_role("link", name=t("Edit"), exact=True)).to_have_count(0)

    # And the server refuses it too, whatever the page shows: a forged close is a 403.
    token = page.locator('header input[name="csrf_token"]').get_attribute("value")
    forged = page.request.post(
        f"/controls/{legal_id}/close",
        form={"csrf_token": token, "version": "1", "closing_note": "Not mine to close."},
    )
    assert forged.status == 403, forged.status
    with live_server.session() as session:
        assert (
            session.scalar(sa.select(Control.status).where(Control.id == legal_id)) == ControlStatus.PLANNED
        )

    assert browsing.offsite == [], "the pages asked for something on another host"
    assert browsing.errors == []
