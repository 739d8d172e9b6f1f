"""No control characters in names and titles, whichever way they come in (form, service, import);
multi-line text keeps its newlines; mail headers stay one line even for a value stored earlier."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.risks.models import Risk
from riskreg.sites import services as site_services
from riskreg.text import multi_line, single_line
from tests.conftest import text_of
from tests.test_reminders import due  # noqa: F401  (fixture)
from tests.xlsx_files import append_row, edited, export, token_of, upload

NASTY = "ASM\r\nLiaison\x00\x1b[31m\x85\u2028\tTeam"


def test_the_rules():
    assert single_line(NASTY) == "ASM Liaison[31m   Team"
    assert multi_line("one\r\ntwo\rthree\u2028four\x07\tfive\x9b") == "one\ntwo\nthree\nfour\tfive"
    assert single_line("Ünïcödé — 金 ✓") == "Ünïcödé — 金 ✓"


def test_a_department_name_from_the_form(clients):
    response = clients["admin"].post(
        "/departments/new", data={"name": NASTY, "description": "Mine\r\nclosure\x07 plans", "active": "y"}
    )
    assert response.status_code == 302
    department = db.session.scalar(sa.select(Department).where(Department.name.like("ASM%")))
    assert department.name == "ASM Liaison[31m   Team"
    assert department.description == "Mine\nclosure plans"  # a text area keeps its lines


def test_a_clash_once_cleaned_is_reported_not_a_500(clients):
    response = clients["admin"].post("/departments/new", data={"name": "Le\x00gal\r\n", "active": "y"})
    assert response.status_code == 200
    assert "A department called &#39;Legal&#39; already exists." in text_of(response)


def test_names_through_the_services(users, make_risk):
    site = site_services.create_site({"name": "North\npit\x0b", "country": "Ghana\r"}, users["admin"])
    risk = make_risk(title="Pits\r\nopened\x07", description="Seen on\r\nMonday")
    db.session.commit()
    assert (site.name, site.country) == ("North pit ", "Ghana ")
    assert (risk.title, risk.description) == ("Pits opened", "Seen on\nMonday")


def test_a_title_from_the_import(clients, make_risk):
    make_risk()
    data = edited(
        export(clients["risk_manager"]),
        lambda ws: append_row(
            ws,
            Title="Mercury\nsold\tat camp",  # Alt+Enter in Excel
            Direction="To the company",
            Category="Environment",
            Owner=ws["F2"].value,
            **{
                "Inherent likelihood": 2,
                "Inherent impact": 2,
                "Residual likelihood": 1,
                "Residual impact": 1,
                "Treatment": "Reduce",
                "Consequence area": "Environment",
            },
        ),
    )
    preview = upload(clients["risk_manager"], data)
    assert (
        clients["risk_manager"].post("/import/confirm", data={"token": token_of(preview)}).status_code == 302
    )
    db.session.rollback()
    assert (
        db.session.scalar(sa.select(Risk.title).where(Risk.title.like("Mercury%"))) == "Mercury sold at camp"
    )


def test_reminders_survive_a_line_break_stored_before(runner, smtp, users, due):  # noqa: F811
    # written around the model, as by an older version or by hand
    db.session.execute(
        sa.update(Department)
        .where(Department.name == "Security")
        .values(name="Security\r\nBcc: x@evil.example")
    )
    db.session.commit()
    for args in (["reminders", "send", "--dry-run"], ["reminders", "send"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    [mail] = smtp.to(users["department_head"].email)
    assert mail["Subject"].strip().startswith("riskreg: Security Bcc: x@evil.example: 1 overdue")
    assert mail["Bcc"] is None and smtp.to("x@evil.example") == []
