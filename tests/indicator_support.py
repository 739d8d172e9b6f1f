"""Helpers for the indicator tests: the library, one indicator of a site, flags of a risk."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from riskreg.extensions import db
from riskreg.indicators.library import load_library
from riskreg.indicators.models import IndicatorDefinition, ReviewFlag, SiteIndicator


def load_indicators() -> None:
    load_library()
    db.session.commit()


def indicator(site, code: str) -> SiteIndicator:
    return db.session.scalar(
        sa.select(SiteIndicator)
        .join(IndicatorDefinition)
        .where(SiteIndicator.site_id == site.id, IndicatorDefinition.code == code)
        .options(selectinload(SiteIndicator.definition))
        .execution_options(populate_existing=True)
    )


def open_flags(risk) -> list[ReviewFlag]:
    return list(
        db.session.scalars(
            sa.select(ReviewFlag)
            .where(ReviewFlag.risk_id == risk.id, ReviewFlag.review_id.is_(None))
            .options(selectinload(ReviewFlag.trigger))
        )
    )


def all_flags(risk) -> list[ReviewFlag]:
    return list(db.session.scalars(sa.select(ReviewFlag).where(ReviewFlag.risk_id == risk.id)))
