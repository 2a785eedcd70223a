"""The signed-in user's own API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from survey.storage.models import ApiToken
from web.auth import login_required
from web.forms import ConfirmForm, TokenForm
from web.state import db_session
from web.users import create_token

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    data = db_session()
    form = TokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        new_token = create_token(data, g.user, form.label.data)
        data.commit()
        form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 400
    rows = data.scalars(
        select(ApiToken).where(ApiToken.user_id == g.user.id).order_by(ApiToken.id)
    ).all()
    return render_template(
        "account/tokens.html", form=form, rows=rows, new_token=new_token, confirm=ConfirmForm()
    ), status


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    data = db_session()
    token = data.get(ApiToken, token_id)
    if token is None or token.user_id != g.user.id:
        abort(404)
    data.delete(token)
    data.commit()
    flash(_("Token revoked: scripts using it are refused from now on."), "success")
    return redirect(url_for("account.tokens"))
