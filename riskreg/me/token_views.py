"""/me/tokens: one's personal access tokens of the API: create (shown once), list, revoke."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from riskreg.api import tokens as token_services
from riskreg.api.models import ApiToken
from riskreg.auth.permissions import Permission, permission_required
from riskreg.extensions import db
from riskreg.forms import ActionForm
from riskreg.i18n import gettext as _
from riskreg.me.forms import TokenForm
from riskreg.modeling import utcnow


def _page(form: TokenForm, secret: str | None = None) -> str:
    return render_template(
        "me/tokens.html",
        form=form,
        tokens=token_services.tokens_of(current_user),
        secret=secret,
        action_form=ActionForm(),
        now=utcnow(),
    )


@permission_required(Permission.VIEW)
def tokens():
    return _page(TokenForm(formdata=None))


@permission_required(Permission.VIEW)
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form)
    try:
        created = token_services.create_token(
            current_user, form.name.data, form.access.data == "read", form.days.data, actor=current_user
        )
    except token_services.TokenError as error:
        db.session.rollback()
        getattr(form, error.field, form.name).errors.append(str(error))
        return _page(form)
    secret = created.secret
    db.session.commit()
    # Shown in this response only (it is not stored and never sent again); no-store keeps it out of caches.
    return _page(TokenForm(formdata=None), secret=secret)


@permission_required(Permission.VIEW)
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404, _("You have no token with that id."))
    if not ActionForm().validate_on_submit():
        abort(400, _("The form expired: reload the page and try again."))
    name = token.name
    if token_services.revoke_token(token, current_user):
        db.session.commit()
        flash(_("Token “%(name)s” revoked: it no longer works.", name=name), "success")
    return redirect(url_for("me.tokens"))
