"""A risk as a register page shows it: plain values read by one Core statement, not an ORM object.

The register's rows and the API's summaries read about thirty columns of fifty risks, and their
site's and owner's names. Loaded as mapped objects (identity map, instance state, two joined
relationships) the fifty cost about a sixth of the page; as rows of plain values, next to nothing.
The band and score rules stay the model's (riskreg.scoring, riskreg.reviews.rules), asked the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa

from riskreg import scoring
from riskreg.auth.models import User
from riskreg.risks.models import Readings, Risk
from riskreg.sites.models import Site

# What a page row, the API's summary (riskreg.api.schemas.RiskSummary) and the row marks
# (riskreg.acceptances.queries.register_marks) read off a risk.
COLUMNS = (
    "id",
    "ref",
    "title",
    "site_id",
    "direction",
    "category",
    "impact_area",
    "owner_id",
    "inherent_likelihood",
    "inherent_impact",
    "inherent_score",
    "residual_likelihood",
    "residual_impact",
    "residual_score",
    "inherent_band_rank",
    "residual_band_rank",
    "target_likelihood",
    "target_impact",
    "target_date",
    "treatment",
    "status",
    "trend",
    "next_review_date",
    "residual_assessed_at",
    "created_at",
    "updated_at",
    "version",
)


class Named(NamedTuple):
    """A risk's site or owner as its row shows it."""

    id: int
    name: str


class RegisterRow(Readings):
    """One risk of a register page, with the Risk model's readings (its bands and review state)."""

    __slots__ = (*COLUMNS, "site", "owner", "matrix")

    # Declared for type checkers; the values are set from the statement's row in __init__.
    id: int
    ref: str
    title: str
    site_id: int | None
    category: str
    owner_id: int
    inherent_score: int
    residual_score: int
    residual_band_rank: int
    status: Any
    next_review_date: date | None
    site: Named | None
    owner: Named

    def __init__(self, values: tuple[Any, ...], matrix: scoring.Matrix) -> None:
        *plain, site_name, owner_name = values
        self.matrix = matrix
        for name, value in zip(COLUMNS, plain, strict=True):
            setattr(self, name, value)
        self.site = None if self.site_id is None else Named(self.site_id, site_name)
        self.owner = Named(self.owner_id, owner_name)

    def _matrix(self) -> scoring.Matrix:
        return self.matrix  # the page's: looked up once, not twice per row


def columns() -> list[sa.ColumnElement[Any]]:
    """The row's columns, in RegisterRow's order: the risk's own, then its site's and owner's names
    (the statement joins Site outer and User inner, as a risk has an owner and may have no site)."""
    table = Risk.__table__
    return [*(table.c[name] for name in COLUMNS), Site.name, User.name]
