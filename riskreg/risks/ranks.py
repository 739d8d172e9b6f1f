"""Stored band ranks kept equal to the matrix. The ORM listener stores them on every save; after the
matrix file or its preset changes, `flask risks rerank` recomputes in SQL the ones that differ."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from riskreg import scoring
from riskreg.extensions import db
from riskreg.risks.filters import band_condition
from riskreg.risks.models import Risk

logger = logging.getLogger(__name__)
BASES = ("inherent", "residual")


def rank_expression(basis: str) -> sa.Case:
    """SQL for the rank of a risk's band on this basis under the running app's matrix."""
    return sa.case(*((band_condition(band.key, basis), band.rank) for band in scoring.matrix().bands))


def stale(basis: str) -> sa.ColumnElement[bool]:
    return getattr(Risk, f"{basis}_band_rank") != rank_expression(basis)


def count_stale() -> dict[str, int]:
    """Risks per basis whose stored rank differs from the matrix's (nothing is written)."""
    return {
        basis: db.session.scalar(sa.select(sa.func.count(Risk.id)).where(stale(basis))) or 0
        for basis in BASES
    }


def rerank() -> dict[str, int]:
    """Recompute the stored ranks that differ; returns how many risks changed per basis.

    A derived value, not an edit: no version bump, no new updated_at, no audit event."""
    changed = {}
    for basis in BASES:
        result = db.session.execute(
            sa.update(Risk)
            .where(stale(basis))
            .values({f"{basis}_band_rank": rank_expression(basis), "updated_at": Risk.updated_at})
            .execution_options(synchronize_session=False)
        )
        changed[basis] = result.rowcount or 0
    logger.info("band ranks recomputed: %s", changed)
    return changed
