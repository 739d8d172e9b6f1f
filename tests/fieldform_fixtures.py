"""Fixtures of the field-data tests (loaded with pytest_plugins): the sites, the form, the exports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fieldform_files import FormDefinition, add_sites, current_form, export_files


@pytest.fixture
def field_sites(app) -> list[dict[str, Any]]:
    return add_sites()


@pytest.fixture
def form(field_sites) -> FormDefinition:
    return current_form()


@pytest.fixture
def exports(form, field_sites) -> dict[str, bytes]:
    """The four 200-row files, written for this database's sites and form."""
    return export_files(form, field_sites)
