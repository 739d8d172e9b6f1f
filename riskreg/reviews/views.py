"""Recording a review from a risk's page ("reviewed, no change"; "Reassess" opens the edit form)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.i18n import day
from riskreg.i18n import gettext as _
from riskreg.reviews import services
from riskreg.reviews.forms import NoChangeForm
from riskreg.reviews.models import ReviewKind


@permission_required(Permission.VIEW)
def record(risk_id: int):
    """ "Reviewed, no change" with a note (the risk's owner or a risk manager): a review row, the
    open flags answered, the next review date rolled forward by the band's cadence."""
    from riskreg.risks.models import Risk

    risk = db.session.get(Risk, risk_id)
    if risk is None:
        abort(404, _("There is no risk with id %(id)s.", id=risk_id))
    if not services.can_review(current_user, risk):
        if risk.editable:
            abort(403)
        abort(400, _("%(ref)s is archived: restore it before reviewing it.", ref=risk.ref))
    form = NoChangeForm()
    back = redirect(url_for("risks.detail", risk_id=risk_id, _anchor="reviews"))
    if not form.validate_on_submit():
        flash("; ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return back
    ref = risk.ref
    try:
        services.record_review(risk, ReviewKind.NO_CHANGE, form.note.data, current_user)
        after = risk.next_review_date
        db.session.commit()
    except services.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(
            _("%(ref)s: reviewed, no change. Next review on %(date)s.", ref=ref, date=day(after)), "success"
        )
    return back
