"""The score and band beside the likelihood and impact choices of the risk form.

The server renders each pair's band (so the page says it without scripts, after a refused save or
when editing) and the whole matrix as data attributes; static/js/score-preview.js redraws the
band as the choices change, from those attributes only: the matrix has one home, seeds/matrix.toml.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from riskreg.scoring import LEVELS, Band, Matrix, score

# The three assessments of the form: (name, likelihood field, impact field).
PAIRS = (
    ("inherent", "inherent_likelihood", "inherent_impact"),
    ("residual", "residual_likelihood", "residual_impact"),
    ("target", "target_likelihood", "target_impact"),
)


@dataclass(frozen=True)
class Preview:
    name: str
    likelihood_field: str
    impact_field: str
    score: int | None
    band: Band | None


def matrix_data(matrix: Matrix) -> str:
    """The JSON of the data-matrix attribute: each cell's band for others and for people, the
    bands' words and colours, and the directions the people-first rule applies to."""
    cells = {f"{lk},{im}": matrix.band_for(lk, im, False).key for lk in LEVELS for im in LEVELS}
    people = {f"{lk},{im}": matrix.band_for(lk, im, True).key for lk in LEVELS for im in LEVELS}
    from riskreg.i18n.reference import translate

    bands = {  # the page's words (the reader's language), not data read back
        band.key: {"label": translate(band.label), "colour": band.colour, "fill": band.fill}
        for band in matrix.bands
    }
    return json.dumps(
        {
            "cells": cells,
            "people": people,
            "bands": bands,
            "peopleDirections": sorted(matrix.people_directions),
        },
        separators=(",", ":"),
    )


def previews(form: Any, matrix: Matrix) -> list[Preview]:
    """Each pair's score and band from the form's current data (None until both are chosen)."""
    direction = getattr(form.direction.data, "value", form.direction.data)
    found = []
    for name, likelihood_field, impact_field in PAIRS:
        likelihood, impact = getattr(form, likelihood_field).data, getattr(form, impact_field).data
        if likelihood in LEVELS and impact in LEVELS:
            band = matrix.band_for(likelihood, impact, matrix.is_people(direction))
            found.append(Preview(name, likelihood_field, impact_field, score(likelihood, impact), band))
        else:
            found.append(Preview(name, likelihood_field, impact_field, None, None))
    return found
