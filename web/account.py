"""The signed-in user's own API tokens: create (shown once, scoped, read-only or not, expiring),
list, revoke."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from survey.storage.models import Administration, ApiToken, Role
from web.audit import note
from web.auth import login_required
from web.forms import ConfirmForm, TokenForm
from web.state import db_session
from web.users import create_token, revoke_token

bp = Blueprint("account", __name__, url_prefix="/account")
EVERY = "*"  # an admin's token that reads every administration


def _choose(form: TokenForm, data) -> TokenForm:
    form.scope.choices = _scope_choices(data)
    form.access.choices = [("read", _("Read only")), ("write", _("Read and write"))]
    return form


def _scope_choices(data) -> list[tuple[str, str]]:
    if g.user.role != Role.ADMIN:
        return [(g.user.administration.code, g.user.administration.name)]
    rows = data.scalars(select(Administration).order_by(Administration.code))
    return [(EVERY, _("Every administration")), *((a.code, a.name) for a in rows)]


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    data = db_session()
    form = _choose(TokenForm(), data)
    new_token = None
    status = 200
    if form.validate_on_submit():
        administration = None
        if form.scope.data != EVERY:
            administration = data.scalar(
                select(Administration).where(Administration.code == form.scope.data)
            )
        new_token = create_token(
            data, g.user, form.label.data, administration=administration,
            read_only=form.access.data != "write", days=form.days.data,
        )  # fmt: skip
        note("token.create", administration=form.scope.data, detail=form.label.data.strip())
        data.commit()
        form = _choose(TokenForm(formdata=None), data)
    elif form.is_submitted():
        status = 400
    rows = data.scalars(
        select(ApiToken).where(ApiToken.user_id == g.user.id).order_by(ApiToken.id)
    ).all()
    return render_template(
        "account/tokens.html", form=form, rows=rows, new_token=new_token, confirm=ConfirmForm(),
        now=dt.datetime.now(dt.UTC),
    ), status  # fmt: skip


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    data = db_session()
    if not revoke_token(data, g.user, token_id):
        abort(404)
    note("token.revoke", detail=str(token_id))
    data.commit()
    flash(_("Token revoked: scripts using it are refused from now on."), "success")
    return redirect(url_for("account.tokens"))
