"""riskreg.urls.id_url: one build per page gives exactly what url_for gives for each id."""

from __future__ import annotations

from flask import url_for

from riskreg.urls import id_url


def test_an_id_url_equals_url_for_for_every_id_with_other_values_and_a_script_root(app):
    with app.test_request_context("/", base_url="http://riskreg.example/sub"):
        risk_url = id_url("risks.detail", "risk_id")
        edit_url = id_url("risks.edit", "risk_id", next="/risks?site=3&q=a b")
        for risk_id in (1, 7, 42, 987_654_321, 10**15):
            assert risk_url(risk_id) == url_for("risks.detail", risk_id=risk_id)
            assert edit_url(risk_id) == url_for("risks.edit", risk_id=risk_id, next="/risks?site=3&q=a b")
        assert risk_url(5).startswith("/sub/")  # the application's own prefix is kept


def test_an_id_url_refuses_what_is_not_an_id(app):
    import pytest

    with app.test_request_context("/"):
        risk_url = id_url("risks.detail", "risk_id")
        with pytest.raises((TypeError, ValueError)):
            risk_url("1/../../admin")
