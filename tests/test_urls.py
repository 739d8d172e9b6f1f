"""riskreg.urls.id_url and query_url: one build per page gives exactly what url_for gives for each
id and each query string."""

from __future__ import annotations

from flask import url_for

from riskreg.urls import id_url, query_url


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


QUERIES = [
    {},
    {"department": 3, "status": "in_progress", "sort": "-ref"},
    {"q": "a b & c/d?e=é", "owner": "none", "site": None},  # spaces, reserved and non-ASCII characters
    {"overdue": 1, "flag": True, "col": ["title", "site"]},  # True and 1 kept apart; a list repeated
    {"overdue": True, "flag": 1, "empty": ""},
    {"status": None},  # only None: no query string at all
]


def test_a_query_url_equals_url_for_for_every_query_string_with_a_script_root(app):
    with app.test_request_context("/", base_url="http://riskreg.example/sub"):
        tracker_url = query_url("controls.list")
        risk_controls = query_url("risks.detail", risk_id=7)
        for _ in range(2):  # the second time from the pairs it has encoded
            for args in QUERIES:
                assert tracker_url(args) == url_for("controls.list", **args)
                assert risk_controls(args) == url_for("risks.detail", risk_id=7, **args)
        assert tracker_url({}).startswith("/sub/")


def test_a_query_url_appends_to_a_base_that_has_a_query_string_already(app):
    with app.test_request_context("/"):
        with_view = query_url("controls.list", view="none")
        assert with_view({"department": 2}) == url_for("controls.list", view="none", department=2)


def test_a_fixed_url_equals_url_for_under_each_script_root(app):
    from riskreg.urls import fixed_url

    for base in ("http://riskreg.example/", "http://riskreg.example/sub", "http://riskreg.example/other"):
        with app.test_request_context("/", base_url=base):
            for _ in range(2):  # the second time from what the first kept
                assert fixed_url("risks.list") == url_for("risks.list")
                style = url_for("static", filename="css/app.css")
                assert fixed_url("static", filename="css/app.css") == style
    with app.test_request_context("/", base_url="http://riskreg.example/sub"):
        assert fixed_url("risks.list").startswith("/sub/")
        assert "v=" in fixed_url("static", filename="css/app.css")  # the asset's content hash kept
