"""The audit log on the web: what views call to record an action, and the admins' page.

`note` records in the request's session, so the entry is committed with the action (the view
commits); `note_download` records a download in a transaction of its own, committed before
the file leaves (a GET's session only reads). The page `/audit` (admins only) lists the entries
newest first, filtered by date, account and action, and `/audit.csv` downloads them (text that
a spreadsheet would run is neutralized); both say whether the chain verifies.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, g, render_template, request
from flask_babel import gettext as _

from survey import audit
from survey.storage.models import Role
from web.auth import roles_required
from web.state import app_state, db_session

bp = Blueprint("audit", __name__)
PAGE_ROWS = 500
COLUMNS = ("seq", "at", "actor", "action", "administration", "campaign", "format", "address",
           "detail", "prev_hash", "hash")  # fmt: skip


def _actor() -> str:
    user = g.get("user")
    return user.username if user is not None else "?"


def note(action: str, **fields: str | None) -> None:
    """Record `action` by the signed-in user in the request's transaction (the view commits)."""
    audit.record(db_session(), action, actor=fields.pop("actor", None) or _actor(), **fields)


def note_download(action: str, **fields: str | None) -> None:
    """Record a download now, in a transaction of its own, committed before the file leaves.

    The request's transaction, which only read, ends first: on SQLite it may hold the write
    lock that the entry's transaction would wait for. The caller reads what it needs from its
    objects before calling (they are expired by the rollback)."""
    actor = _actor()
    db_session().rollback()
    with app_state().db.transaction() as session:
        audit.record(session, action, actor=actor, **fields)


def _filter(limit: int | None) -> tuple[audit.Filter, dict[str, str]]:
    args = {k: (request.args.get(k) or "").strip() for k in ("since", "actor", "action")}
    since = None
    if args["since"]:
        try:
            since = dt.datetime.combine(dt.date.fromisoformat(args["since"]), dt.time(), dt.UTC)
        except ValueError:
            args["since"] = ""
    wanted = audit.Filter(since=since, actor=args["actor"] or None,
                          action=args["action"] or None, limit=limit)  # fmt: skip
    return wanted, args


@bp.get("/audit")
@roles_required(Role.ADMIN)
def index():
    data = db_session()
    wanted, args = _filter(PAGE_ROWS + 1)
    rows = audit.entries(data, wanted)
    checked, broken = audit.verify(data)
    seq, head = audit.head(data)
    return render_template(
        "audit.html", rows=rows[:PAGE_ROWS], more=len(rows) > PAGE_ROWS, args=args,
        checked=checked, broken=broken, head_seq=seq, head_hash=head,
        retention=audit.retention_days(),
    )  # fmt: skip


@bp.get("/audit.csv")
@roles_required(Role.ADMIN)
def download():
    from analysis.spreadsheets import CSV_LINE_END, safe_value

    wanted, args = _filter(None)
    rows = audit.entries(db_session(), wanted)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=CSV_LINE_END)
    writer.writerow(COLUMNS)
    for row in rows:
        values = [getattr(row, c) for c in COLUMNS]
        values[1] = row.at.isoformat()
        writer.writerow([safe_value(v) for v in values])
    filters = "; ".join(f"{k}={v}" for k, v in args.items() if v) or None
    note_download(audit.DOWNLOAD, format="csv", detail=f"audit log ({len(rows)} entries)"
                  + (f", {filters}" if filters else ""))  # fmt: skip
    response = Response(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="cips-audit-{stamp}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def chain_status(checked: int, broken: audit.Broken | None) -> str:
    if broken is None:
        return _("The chain verifies: {count} entries, none edited, moved or deleted.").format(
            count=checked
        )
    where = (
        _("entry {seq}").format(seq=broken.seq)
        if broken.seq is not None
        else _("the end of the log")
    )
    return _("The chain breaks at {where}: an entry was edited, moved or deleted there.").format(
        where=where
    )


bp.add_app_template_global(chain_status, "audit_chain_status")
