"""Fixtures of the field-data tests (loaded with pytest_plugins): the sites, the form, the exports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fieldform_files import DATA, FormDefinition, add_sites, current_form


@pytest.fixture
def field_sites(app) -> list[dict[str, Any]]:
    return add_sites()


@pytest.fixture
def form(field_sites) -> FormDefinition:
    return current_form()


@pytest.fixture
def exports(field_sites) -> dict[str, bytes]:
    """The four 200-row files of tests/data/ (test_fieldforms_form checks they are up to date)."""
    return {path.name: path.read_bytes() for path in DATA.glob("*-submissions.*")}
