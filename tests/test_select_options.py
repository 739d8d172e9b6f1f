"""Selects render through riskreg.forms' plain <option> writer: the same markup as WTForms' own."""

from __future__ import annotations

import pytest
import wtforms
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
