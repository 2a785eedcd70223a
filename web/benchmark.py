"""The benchmark page (issue 23, item 4): the benchmark across administrations as the host's
benchmark role sees it (aggregates only: distributions and each administration's published
figures), its dot-plot chart and its CSV, XLSX and JSON downloads.

The `benchmark` role sees this page and nothing of any campaign: every other page of the back
end answers 403 to it (an allow-list, `init_app`), so no respondent-level data, dashboard,
result table or export of a campaign is reachable, even by a page added later.
"""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from analysis.benchmark import texts
from analysis.labels import SURVEYS, label, unit_name
from survey import audit
from survey.storage.models import Role
from web.audit import note, note_download
from web.auth import roles_required
from web.i18n import current_language
from web.state import app_state, db_session

bp = Blueprint("benchmark", __name__, url_prefix="/benchmark")
ROLES = (Role.BENCHMARK, Role.ADMIN)
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "png": "image/png",
}
# What a benchmark analyst may reach: this page, signing in and out, their two-factor sign-in,
# the language switch, static files.
ALLOWED = {"benchmark", "auth", "two_factor"}
ALLOWED_ENDPOINTS = {"static", "language", "health.healthz"}
INDEX = "integrity_index"
MEASURES = {"score": texts.MEASURE_SCORE, "pct_favourable": texts.MEASURE_FAVOURABLE}


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def benchmark_role_sees_only_the_benchmark():
        user = g.get("user")
        if user is None or user.role != Role.BENCHMARK:
            return None
        if request.endpoint == "index":
            return redirect(url_for("benchmark.page"))
        if request.blueprint in ALLOWED or request.endpoint in ALLOWED_ENDPOINTS:
            return None
        abort(403)


def _benchmark(wave: str | None = None):
    from analysis.benchmark.compute import compute
    from analysis.benchmark.store import participants

    state = app_state()
    k = state.settings.min_cell
    found = participants(db_session(), state.questionnaires, k, wave)
    return compute(found, k) if found else None


def _region() -> str | None:
    region = request.args.get("region")
    return region if region is not None else ""


@bp.get("")
@roles_required(*ROLES)
def page():
    from analysis.benchmark.compute import MIN_ADMINISTRATIONS

    bench = _benchmark(request.args.get("wave") or None)
    region = _region()
    rows = None
    if bench is not None:
        table = bench.distributions
        rows = table[(table["region"] == region) & (table["level"].isin(["index", "factor"]))]
    language = current_language()

    def unit_label(unit: str, name: str) -> str:
        return unit_name(unit, None, language) if unit.isdigit() or unit == INDEX else name

    members = _members() if g.user.role == Role.ADMIN else None
    return render_template("benchmark/page.html", bench=bench, region=region, rows=rows,
                           members=members,
                           minimum=MIN_ADMINISTRATIONS, k=app_state().settings.min_cell,
                           wave=request.args.get("wave") or "", unit_label=unit_label,
                           survey_name=lambda s: label(SURVEYS[s], language),
                           measure_label=lambda m: label(MEASURES[m], language))  # fmt: skip


@bp.get("/chart-<any(officials, private_sector):survey>.png")
@roles_required(*ROLES)
def chart(survey: str):
    from analysis.benchmark.output import dot_plot

    bench = _benchmark(request.args.get("wave") or None)
    if bench is None:
        abort(404)
    language, region = current_language(), _region()

    def factors_favourable(frame):  # the chart's rows: key factors' % favourable
        return frame[(frame["region"] == region) & (frame["survey"] == survey)
                     & (frame["measure"] == "pct_favourable") & (frame["level"] == "factor")]  # fmt: skip

    title = label(texts.CHART_TITLE, language, survey=label(SURVEYS[survey], language),
                  measure=label(texts.MEASURE_FAVOURABLE, language))  # fmt: skip
    rows = factors_favourable(bench.distributions).assign(name=lambda t: [  # in the page's language
        unit_name(u, None, language) for u in t["unit"]])  # fmt: skip
    figure = dot_plot(rows, factors_favourable(bench.values), request.args.get("highlight"), title,
                      language)  # fmt: skip
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return Response(buffer.getvalue(), mimetype=MIMETYPES["png"])


@bp.get("/benchmark.<any(csv, xlsx, json):fmt>")
@roles_required(*ROLES)
def download(fmt: str):
    from analysis.benchmark.output import render

    bench = _benchmark(request.args.get("wave") or None)
    if bench is None:
        abort(404)
    region = request.args.get("region")
    body = render(bench, fmt, region)
    filename = f"cips-benchmark{'-' + region if region else ''}.{fmt}"
    note_download(audit.DOWNLOAD, format=fmt, detail=f"benchmark: {filename}")
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _members() -> list[tuple[str, str, str | None]]:
    """This installation's administrations: code, name, and their region if they take part."""
    from sqlalchemy import select

    from survey.storage.models import Administration, BenchmarkMember

    statement = (select(Administration.code, Administration.name, BenchmarkMember.region)
                 .outerjoin(BenchmarkMember).order_by(Administration.code))  # fmt: skip
    return [tuple(row) for row in db_session().execute(statement)]


@bp.post("/members")
@roles_required(Role.ADMIN)
def members():
    """An admin opts an administration of this installation in (with its region) or out."""
    from analysis.benchmark.store import BenchmarkError, join, leave

    code = request.form.get("administration", "").strip()
    region = request.form.get("region", "").strip()[:64]
    data = db_session()
    try:
        if request.form.get("action") == "join":
            if not region:
                flash(_("Give the administration's region."), "error")
                return redirect(url_for("benchmark.page"))
            join(data, code, region)
            note("benchmark.join", administration=code, detail=region)
            flash(_("{code} takes part in the benchmark.").format(code=code), "success")
        else:
            leave(data, code)
            note("benchmark.leave", administration=code)
            flash(_("{code} no longer takes part in the benchmark.").format(code=code), "success")
        data.commit()
    except BenchmarkError:
        data.rollback()
        abort(404)
    return redirect(url_for("benchmark.page"))
