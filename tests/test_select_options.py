"""Selects render through riskreg.forms' plain <option> writer: the same markup as WTForms' own."""

from __future__ import annotations

import pytest
import wtforms
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.fields.choices import Choice

from riskreg import forms


@pytest.mark.parametrize(
    "choice",
    [
        ("", "All", False, {}),
        ("12", 'A <b> & "quoted"', True, {}),
        ("x", "", False, {}),
        ("o'k", "l'x", False, {}),
        (True, "yes", False, {}),
        ("a", "b", True, {"disabled": True}),
    ],
)
def test_option_markup_is_wtforms_own(choice: tuple) -> None:
    normalized = Choice(*choice)
    assert wtforms.widgets.Select.render_option(normalized) == forms._WTFORMS_OPTION(normalized)


def test_a_select_field_uses_it() -> None:
    assert wtforms.widgets.Select.render_option.__func__ is forms._plain_option


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"name": "title", "id": "title", "class_": "wide", "required": True, "readonly": False},
        {"data_select_all": "bulk-risks", "aria_invalid": "true", "aria_describedby": "x y"},
        {"value": 'A <b> & "quoted"', "placeholder": "l'x", "maxlength": 200, "step": 0.5},
        {"value": Markup('already "markup" &amp;'), "title": _l("Choose…"), "for_": "f"},
        {"z": "last", "a": "first", "m": None},
    ],
)
def test_attribute_markup_is_wtforms_own(attributes: dict) -> None:
    ours = wtforms.widgets.core.html_params(**attributes)
    assert isinstance(ours, Markup)
    assert ours == forms._WTFORMS_HTML_PARAMS(**attributes)


def test_every_widget_writes_its_attributes_with_it() -> None:
    field = wtforms.Form().meta.bind_field(
        wtforms.Form(), wtforms.StringField(render_kw={"data_x": '"q"'}), {"name": "n", "prefix": ""}
    )
    field.process(None)
    plain = forms._plain_html_params
    assert wtforms.widgets.core.html_params is plain and wtforms.widgets.html_params is plain
    assert wtforms.widgets.Input.html_params is plain and wtforms.widgets.core.Button.html_params is plain
    assert field() == Markup('<input data-x="&#34;q&#34;" id="n" name="n" type="text" value="">')
