"""Demo history for the trend: past months of snapshots drawn from the demo register (demo only).

The demo register is created in one go, so its audit trail cannot tell a story; instead each
past month moves every open risk's residual score a step from its inherent score towards its
residual one, as if the controls had been coming into force over the half-year.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from riskreg import scoring
from riskreg.dashboard import trend
from riskreg.dashboard.models import BandSnapshot
from riskreg.extensions import db
from riskreg.modeling import today
from riskreg.risks.models import Risk, RiskStatus

DEMO_MONTHS = 6


def load_demo_history(months: int = DEMO_MONTHS, on: date | None = None) -> int:
    """Snapshots for the `months` months before this one and for this one; rows written (0 if all there)."""
    current = trend.month_start(on or today())
    taken = set(db.session.scalars(sa.select(BandSnapshot.month).distinct()))
    risks = db.session.execute(
        sa.select(
            Risk.site_id,
            Risk.direction,
            Risk.inherent_likelihood,
            Risk.inherent_impact,
            Risk.residual_likelihood,
            Risk.residual_impact,
        ).where(Risk.status == RiskStatus.OPEN)
    ).all()
    matrix = scoring.matrix()
    written = 0
    for back in range(months, 0, -1):
        month = trend.add_months(current, -back)
        if month in taken:
            continue
        share = back / months  # 1 = all the way back at the inherent score
        counts: Counter[trend.Key] = Counter()
        for site_id, direction, il, ii, rl, ri in risks:
            then = (rl + round((il - rl) * share), ri + round((ii - ri) * share))
            for basis, (lk, im) in (("inherent", (il, ii)), ("residual", then)):
                counts[(basis, matrix.band(lk, im, direction).key, site_id, direction.value)] += 1
        written += trend.insert_month(month, counts, taken_at=trend.instant(month))
    return written + trend.take_snapshot(current)
