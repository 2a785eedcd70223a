"""The signed-in user's two-factor sign-in: enrol (QR code and secret, confirmed by a code),
see the recovery codes once, make new ones. Reachable before enrolling, which
`CIPS_REQUIRE_2FA` may demand before anything else (web.auth.login_required)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from survey.storage.models import RecoveryCode
from web import two_factor
from web.audit import note
from web.auth import cipher, signed_in_only
from web.forms import CodeForm, ConfirmForm
from web.qr import qr_svg
from web.state import db_session

bp = Blueprint("two_factor", __name__, url_prefix="/account/2fa")


def _page(codes: list[str] | None = None, status: int = 200, form: CodeForm | None = None):
    data = db_session()
    secret = None if two_factor.enrolled(g.user) else two_factor.secret_of(g.user, cipher())
    left = data.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == g.user.id, RecoveryCode.used_at.is_(None))
    )  # fmt: skip
    return render_template(
        "account/two_factor.html", enrolled=two_factor.enrolled(g.user), secret=secret,
        codes=codes, left=left, form=form or CodeForm(formdata=None), confirm=ConfirmForm(),
    ), status  # fmt: skip


@bp.get("")
@signed_in_only
def show():
    return _page()


@bp.post("/start")
@signed_in_only
def start():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if two_factor.enrolled(g.user):
        return redirect(url_for("two_factor.show"))
    two_factor.begin(g.user, cipher())
    db_session().commit()
    return redirect(url_for("two_factor.show"))


@bp.get("/qr.svg")
@signed_in_only
def qr():
    """The QR code of the secret being enrolled (never of a confirmed one)."""
    secret = None if two_factor.enrolled(g.user) else two_factor.secret_of(g.user, cipher())
    if secret is None:
        abort(404)
    response = Response(
        qr_svg(two_factor.provisioning_uri(g.user, secret)), mimetype="image/svg+xml"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/confirm")
@signed_in_only
def confirm():
    form = CodeForm()
    if not form.validate_on_submit():
        return _page(status=400, form=form)
    data = db_session()
    codes = two_factor.confirm(data, g.user, cipher(), form.code.data, dt.datetime.now(dt.UTC))
    if not codes:
        data.commit()
        flash(_("Wrong code: check the time of your phone and type the code shown now."), "error")
        return _page(status=400, form=form)
    note("2fa.enrol")
    data.commit()
    flash(_("Two-factor sign-in is on."), "success")
    return _page(codes=codes)


@bp.post("/recovery-codes")
@signed_in_only
def recovery_codes():
    """New recovery codes (the old ones stop working), for a right code of the app."""
    form = CodeForm()
    data = db_session()
    if not two_factor.enrolled(g.user) or not form.validate_on_submit():
        return _page(status=400, form=form)
    if not two_factor.check_code(data, g.user, cipher(), form.code.data, dt.datetime.now(dt.UTC)):
        data.commit()
        flash(_("Wrong code: check the time of your phone and type the code shown now."), "error")
        return _page(status=400, form=form)
    codes = two_factor.new_recovery_codes(data, g.user)
    note("2fa.recovery-codes")
    data.commit()
    return _page(codes=codes)
