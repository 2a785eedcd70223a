"""The `campaigns` blueprint (/campaigns) and what its views share; the views are in one module a
job, each adding its routes to this one blueprint, so endpoint names stay `campaigns.<view>`:

- `campaign_forms`: the list of campaigns, a new campaign, and editing its settings;
- `campaign_page`: the campaign page and its buttons (open now, close now, add or remove a
  channel);
- `campaign_printables`: QR codes of the campaign's links, and its A4 poster;
- `campaign_dashboard`: the dashboard page and its CSV and XLSX downloads.

`init_app` imports them all before registering the blueprint: a module not imported would leave
its pages out without an error. Archiving, deleting and the next wave are another blueprint's
(`campaign_life`).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def init_app(app: Flask) -> None:
    from web import campaign_dashboard, campaign_forms, campaign_page, campaign_printables  # noqa: F401 (their routes)

    app.register_blueprint(bp)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
