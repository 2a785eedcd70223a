"""The JSON API: the dashboard figures for scripts, authenticated by an API token.

`Authorization: Bearer <token>` on every request (tokens: the account page or
`cips user token`). Scoped like the pages and then by the token: a campaign of another
administration than the token's is a 404; an expired or revoked token is a 401; a read-only
token is refused (403) on any method that writes (`token_required` checks it for every route).
Documented in the README ("The web back end") and in `web/static/openapi.json`.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy import select

from survey.campaigns import campaign_figures
from survey.storage.models import Campaign
from web.auth import scoped
from web.campaign_dashboard import dashboard_of
from web.links import bot_username, campaign_link
from web.state import app_state, db_session
from web.users import token_for

READING = frozenset({"GET", "HEAD", "OPTIONS"})


def _error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cips"'
    return response


bp = Blueprint("api", __name__, url_prefix="/api/v1")


def token_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        row, data, now = None, db_session(), dt.datetime.now(dt.UTC)
        if scheme.lower() == "bearer" and token.strip():
            row = token_for(data, token.strip(), now)
        if row is None:
            return _error(401, "Unauthorized")
        if row.read_only and request.method not in READING:
            return _error(403, "Forbidden: this token is read-only")
        if data.dirty:
            # The token's last-used day, in a transaction of its own: the request's session may
            # be one that only reads (on SQLite it could not become a writer halfway).
            data.rollback()
            with app_state().db.transaction() as writing:
                token_for(writing, token.strip(), now)
            row = data.get(type(row), row.id)
        g.user = row.user
        g.token_administration_id = row.administration_id
        return view(*args, **kwargs)

    return wrapped


def _campaigns():
    """Campaigns the token may read: its user's, and of the token's administration if it has one."""
    statement = scoped(select(Campaign), g.user)
    if g.token_administration_id is not None:
        statement = statement.where(Campaign.administration_id == g.token_administration_id)
    return statement


def _campaign_or_404(code: str) -> Campaign:
    found = db_session().scalar(_campaigns().where(Campaign.code == code))
    if found is None:
        abort(404)
    return found


def _summary(campaign: Campaign, now: dt.datetime) -> dict:
    figures = campaign_figures(db_session(), campaign)
    return {
        "code": campaign.code,
        "administration": campaign.administration.code,
        "questionnaire": campaign.questionnaire_id,
        "wave": campaign.wave,
        "status": str(campaign.status(now)),
        "link": campaign_link(campaign.code),
        # False while the bot's username is unknown: the links carry a placeholder.
        "link_usable": bot_username() is not None,
        "sources": [
            {"tag": s.tag, "label": s.label, "link": campaign_link(campaign.code, s.tag)}
            for s in campaign.sources
        ],
        "started": figures.started,
        "completed": figures.completed,
        # When its results were released (closed, every response sealed); None while open.
        "released_at": campaign.closed_at.isoformat() if campaign.closed_at else None,
        "archived": campaign.archived_at is not None,
    }


@bp.get("/campaigns")
@token_required
def campaigns():
    """The campaigns, archived ones left out as on the campaign list (`?archived=1`: them too;
    each says `archived`)."""
    now = dt.datetime.now(dt.UTC)
    statement = _campaigns().order_by(Campaign.id)
    if not request.args.get("archived"):
        statement = statement.where(Campaign.archived_at.is_(None))
    rows = db_session().scalars(statement).all()
    return jsonify({"campaigns": [_summary(c, now) for c in rows]})


@bp.get("/campaigns/<code>")
@token_required
def campaign(code: str):
    return jsonify(_summary(_campaign_or_404(code), dt.datetime.now(dt.UTC)))


@bp.get("/campaigns/<code>/dashboard")
@token_required
def dashboard(code: str):
    _questionnaire, figures = dashboard_of(_campaign_or_404(code))
    return jsonify(figures.as_json())
