"""Huge ids and non-ASCII digits anywhere in a URL or form are a 4xx with a message, never a 500."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from riskreg.modeling import today

HUGE = "9" * 23
SUPER_TWO = "%C2%B2"  # "²": str.isdigit() says yes, int() says no

GET_URLS = [
    f"/risks/{HUGE}",
    "/risks/9223372036854775808",
    f"/controls/{HUGE}",
    f"/sites/{HUGE}",
    f"/standards/requirements/{HUGE}",
    f"/controls?risk={HUGE}",
    f"/controls?department={HUGE}",
    f"/controls?page={HUGE}",
    f"/controls?risk={SUPER_TWO}",
    f"/controls?due_within={SUPER_TWO}",
    f"/dashboard?site={HUGE}",
    f"/dashboard?site={SUPER_TWO}",
    f"/export.xlsx?site={HUGE}",
    f"/export.xlsx?site={SUPER_TWO}",
    f"/reports/asm-disclosure?year={SUPER_TWO * 4}",
    f"/standards/templates?site={SUPER_TWO}",
]


@pytest.mark.parametrize("url", GET_URLS)
def test_bad_numbers_in_urls(clients, url):
    response = clients["admin"].get(url)
    assert response.status_code in (400, 404), (url, response.status_code)


def test_a_huge_evidence_id_of_a_real_control_is_a_404(clients, users):
    from tests.controls_support import new_control

    control = new_control(users["admin"], owner_id=users["admin"].id, due_date=today() + timedelta(days=30))
    admin = clients["admin"]
    assert admin.get(f"/controls/{control.id}").status_code == 200  # the control itself is there
    response = admin.get(f"/controls/{control.id}/evidence/{HUGE}")
    assert response.status_code == 404, response.status_code


def test_bad_numbers_in_forms(clients, make_risk, make_site):
    risk, site = make_risk(), make_site()
    admin = clients["admin"]
    link = admin.post(f"/risks/{risk.id}/controls/link", data={"control_ref": "C-²"})
    suggest = admin.post(f"/standards/risks/{risk.id}/suggested-controls", data={"number": "²"})
    miners = admin.post(
        f"/sites/{site.id}/observations/new",
        data={
            "observed_on": "2026-01-10",
            "location": "on_concession",
            "miners_estimate": HUGE,
            "activity_type": "alluvial",
            "source": "patrol",
        },
    )
    assert link.status_code in (200, 302, 400) and suggest.status_code in (200, 302, 400)
    assert miners.status_code == 200 and "must be from 0 to 10,000,000" in miners.get_data(as_text=True)


def test_a_damaged_compressed_stream_is_refused_with_a_message(clients):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types>" + "x" * 4000 + "</Types>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buffer.getvalue())
    start = 30 + len("[Content_Types].xml")  # first member's compressed data
    for offset in range(start + 2, start + 12):
        data[offset] ^= 0xFF
    response = clients["risk_manager"].post(
        "/import",
        data={"file": (io.BytesIO(bytes(data)), "damaged.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "damaged" in response.get_data(as_text=True)
