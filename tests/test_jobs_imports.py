"""A confirmed import larger than IMPORT_INLINE_MAX_ROWS runs as a job (immediate mode here): the
register's and the field monitoring's, with the preview's checks; a register that moved meanwhile
fails the job with the reason and imports nothing."""

from __future__ import annotations

import sqlalchemy as sa

from riskreg.extensions import db
from riskreg.jobs.models import JobKind, JobState
from riskreg.risks.models import Risk
from tests.fieldform_support import counts, stored_uploads
from tests.fieldform_support import token_of as fieldform_token
from tests.fieldform_support import upload as fieldform_upload
from tests.jobs_support import job_row
from tests.xlsx_files import edited, export, set_cell, token_of, upload

pytest_plugins = ("tests.fieldform_fixtures",)  # field_sites, form, exports


def titles() -> list[str]:
    db.session.rollback()
    return [r.title for r in db.session.scalars(sa.select(Risk).order_by(Risk.id))]


def retitled(client, risks) -> bytes:
    def change(ws):
        for risk in risks:
            set_cell(ws, risk.ref, "Title", f"Reviewed {risk.ref}")

    return edited(export(client), change)


def test_a_large_register_import_is_confirmed_by_a_job(app, clients, make_risk, users):
    app.config["IMPORT_INLINE_MAX_ROWS"] = 2
    risks = [make_risk(title=f"Risk {n}") for n in range(3)]
    client = clients["risk_manager"]
    token = token_of(upload(client, retitled(client, risks)))
    response = client.post("/import/confirm", data={"token": token})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = job_row(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.kind is JobKind.IMPORT and job.state is JobState.DONE, job.message
    assert job.user_id == users["risk_manager"].id and (job.done, job.total) == (3, 3)
    assert "3 updated" in job.message and "register.xlsx" in job.message
    assert titles() == [f"Reviewed {r.ref}" for r in risks]
    assert stored_uploads(app) == []  # the preview's file is gone with the import


def test_a_register_that_moved_since_the_preview_fails_the_job_and_imports_nothing(app, clients, make_risk):
    app.config["IMPORT_INLINE_MAX_ROWS"] = 2
    risks = [make_risk(title=f"Risk {n}") for n in range(3)]
    client = clients["risk_manager"]
    token = token_of(upload(client, retitled(client, risks)))
    make_risk(title="Added meanwhile")  # changes no planned row, but the owner's lookups stay the same
    risks[0].title = "Changed by someone else"
    db.session.commit()
    response = client.post("/import/confirm", data={"token": token})
    job = job_row(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.state is JobState.FAILED and "changed since your preview" in job.message
    assert titles() == ["Changed by someone else", "Risk 1", "Risk 2", "Added meanwhile"]
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "changed since your preview" in page and "Retry</button>" in page


def test_a_small_import_is_still_confirmed_at_once(clients, make_risk):
    risks = [make_risk(title=f"Risk {n}") for n in range(3)]
    client = clients["risk_manager"]
    response = client.post(
        "/import/confirm", data={"token": token_of(upload(client, retitled(client, risks)))}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/risks")


def test_a_large_field_monitoring_import_is_confirmed_by_a_job(app, clients, exports):
    app.config["IMPORT_INLINE_MAX_ROWS"] = 100
    client = clients["risk_manager"]
    preview = fieldform_upload(client, exports["kobo-submissions.xlsx"], "kobo-submissions.xlsx")
    response = client.post("/sites/import-observations/confirm", data={"token": fieldform_token(preview)})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = job_row(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.kind is JobKind.OBSERVATIONS_IMPORT and job.state is JobState.DONE, job.message
    assert (job.done, job.total) == (200, 200) and "200 observations" in job.message
    assert counts()[0] == 200
    assert stored_uploads(app) == []
