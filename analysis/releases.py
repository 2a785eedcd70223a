"""A wave's published results, computed once per release and stored (DESIGN.md, Anonymity 7).

A wave is every campaign of one administration with that wave label, live or imported, scored
together (as `cips analyze` does), with every earlier wave of the administration loaded too, so
that the trends and the KPI columns are exactly those of `cips analyze --administration A --wave
W`. Only released campaigns count: closed, their sealed responses published once and never
changed again. No figure of a campaign exists during fieldwork.

What a wave's results are computed from (its released campaigns and the earlier waves', with
their sealed counts) is digested into a version. The tables of a version are computed once, in
each language, by whichever comes first: the clock after a close (`store_missing`), `cips
campaign close` or `cips import`, or a page that finds them missing (a release made before they
were stored, a language added since). They are stored in `release_tables` and from then on read,
never recomputed. Another close in the wave or an earlier one makes a new version; the old one
stays as it was. So do population margins set, changed or cleared (`analysis.margins`): with
them the tables are weighted (`analysis.weights`), and the unweighted ones are kept beside them.
A wave is weighted only when its own campaigns have margins: margins on an earlier wave alone
leave it (and its trends, computed unweighted throughout) as it was, version included.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis.frames import Dataset, wave_order
from analysis.results import TABLE_NAMES, Results
from analysis.weights import kish
from survey.questionnaire import Questionnaire
from survey.storage.models import Administration, Campaign, ReleaseTables, SealedResponse

# Of the stored tables (2 added `quality`; 3: a breakdown hides the same groups in every row,
# so tables stored before, which could give a small group away, are never served again);
# older ones are recomputed, not read.
FORMAT = 3


@dataclass(frozen=True)
class Release:
    """The published results of one wave, in one language, at one version."""

    administration: str
    wave: str
    version: str
    computed_at: dt.datetime
    results: Results
    questionnaire_ids: dict[str, str]  # survey -> the wave's questionnaire
    respondents: dict[str, int]  # survey -> respondents of the wave (everyone who started)
    completed: dict[str, int]
    # When margins are set, `results` are weighted (the default) and these are the same tables
    # unweighted; None otherwise.
    unweighted: Results | None = None
    # survey -> Kish's effective sample size of the completed responses, when weighted (what
    # the report's margin of error uses in place of `completed`).
    completed_effective: dict[str, float] | None = None

    @property
    def weighted(self) -> bool:
        return self.results.weighted

    @property
    def min_cell(self) -> int:
        return self.results.min_cell

    @property
    def language(self) -> str:
        return self.results.language


def campaigns_of(session: Session, administration: Administration) -> list[Campaign]:
    """The administration's campaigns, in the order they were created."""
    statement = select(Campaign).where(Campaign.administration_id == administration.id)
    return list(session.scalars(statement.order_by(Campaign.id)))


def released_waves(campaigns: list[Campaign]) -> list[str]:
    """The wave labels with at least one closed campaign, earliest first."""
    return sorted({c.wave for c in campaigns if c.closed_at is not None}, key=wave_order)


def version_of(session: Session, campaigns: list[Campaign], wave: str) -> str:
    """The digest of what `wave`'s results are computed from: of `campaigns` (an
    administration's), the closed ones of this wave and the earlier ones, with their
    questionnaire, close and count of sealed responses, and their population margins where
    set (`analysis.margins`: setting, changing or clearing them makes a new version)."""
    from analysis.margins import current

    released = [c for c in campaigns if c.closed_at is not None
                and wave_order(c.wave) <= wave_order(wave)]  # fmt: skip
    sealed = dict(
        session.execute(
            select(SealedResponse.campaign_id, func.count())
            .where(SealedResponse.campaign_id.in_([c.id for c in released]))
            .group_by(SealedResponse.campaign_id)
        ).all()
    )
    facts = sorted(
        (c.wave, c.id, c.questionnaire_id, c.closed_at.isoformat(), sealed.get(c.id, 0))
        for c in released
    )
    margins = current(session, [c.id for c in released])
    # Only when the wave itself has margins: the versions of unweighted waves stay those made
    # before weights (an earlier wave's margins alone change none of their tables).
    if any(c.wave == wave for c in released if c.id in margins):
        facts.append(("margins", sorted(margins.items())))
    return hashlib.sha256(repr((FORMAT, wave, facts)).encode()).hexdigest()[:16]


def stored(
    session: Session, administration: Administration, wave: str, language: str, k: int,
    version: str,
) -> Release | None:  # fmt: skip
    """The stored release tables of that version, or None."""
    row = session.scalar(
        select(ReleaseTables).where(
            ReleaseTables.administration_id == administration.id,
            ReleaseTables.wave == wave,
            ReleaseTables.version == version,
            ReleaseTables.language == language,
            ReleaseTables.min_cell == k,
        )
    )
    if row is None:
        return None
    return _decode(row.tables, administration.code, wave, version, row.computed_at)


def release(
    session: Session,
    administration: Administration,
    wave: str,
    language: str,
    k: int,
    questionnaires: dict[str, Questionnaire],
    campaigns: list[Campaign],
) -> Release:
    """The wave's results at its current version: stored ones, else computed now and stored
    (committed at once, in a transaction of its own: `session` must be one that only reads,
    from `Database.reads`). `campaigns` are the administration's (`campaigns_of`). Raises
    `AnalysisError` when the wave's responses cannot be scored together."""
    version = version_of(session, campaigns, wave)
    found = stored(session, administration, wave, language, k, version)
    if found is not None:
        return found
    computed = _compute(session, administration, wave, language, k, questionnaires, campaigns)
    computed = Release(**{**computed.__dict__, "version": version})
    row = ReleaseTables(administration_id=administration.id, wave=wave, version=version,
                        language=language, min_cell=k, computed_at=computed.computed_at,
                        tables=_encode(computed))  # fmt: skip
    # Stored in a transaction of its own: `session` may be one that only reads (a web page).
    with Session(session.get_bind()) as writing:
        writing.add(row)
        try:
            writing.commit()
        except IntegrityError:  # another process stored the same version: the same tables
            writing.rollback()
    return computed


def store_missing(
    session: Session,
    k: int,
    questionnaires: dict[str, Questionnaire],
    languages: list[str],
    unscorable: set[tuple[str, str, str]] | None = None,
) -> int:
    """Compute and store the tables of every released wave whose current version has none, in
    each of `languages`; how many were stored. Waves that cannot be scored together are left
    to the results page, which says why; their (administration, wave, version) is added to
    `unscorable`, and skipped when found there (the clock does not try them every run)."""
    unscorable = set() if unscorable is None else unscorable
    from analysis.frames import AnalysisError

    stored_now = 0
    for administration in session.scalars(select(Administration).order_by(Administration.id)):
        campaigns = campaigns_of(session, administration)
        for wave in released_waves(campaigns):
            version = version_of(session, campaigns, wave)
            if (administration.code, wave, version) in unscorable:
                continue
            have = set(
                session.scalars(
                    select(ReleaseTables.language).where(
                        ReleaseTables.administration_id == administration.id,
                        ReleaseTables.wave == wave,
                        ReleaseTables.version == version,
                        ReleaseTables.min_cell == k,
                    )
                )
            )
            for language in [lang for lang in languages if lang not in have]:
                try:
                    release(session, administration, wave, language, k, questionnaires, campaigns)
                except AnalysisError:
                    unscorable.add((administration.code, wave, version))
                    break
                stored_now += 1
    return stored_now


def _compute(
    session: Session,
    administration: Administration,
    wave: str,
    language: str,
    k: int,
    questionnaires: dict[str, Questionnaire],
    campaigns: list[Campaign],
) -> Release:
    from analysis.database import load_database
    from analysis.margins import apply
    from analysis.results import analyze

    data = Dataset()
    for label in sorted({c.wave for c in campaigns}, key=wave_order):
        if wave_order(label) <= wave_order(wave):
            for response_set in load_database(session, administration=administration.code,
                                              wave=label, questionnaires=questionnaires):  # fmt: skip
                data.add(response_set)
    apply(session, data, campaigns)
    # The loads' read transaction ends here, not after the scoring: on SQLite a snapshot held
    # for seconds would hold up the checkpoint that wipes the write-ahead log after a seal,
    # and the writers queued behind it.
    session.commit()
    this_wave = [s for s in data if s.wave == wave]
    # Weighted only if this wave's own sets have margins; the earlier waves loaded for the
    # trends do not make it so (unweighted, its trends are unweighted throughout).
    weighted = any(s.weights is not None for s in this_wave)
    return Release(
        administration=administration.code,
        wave=wave,
        version="",
        computed_at=dt.datetime.now(dt.UTC),
        results=analyze(data, min_cell=k, language=language, weighted=weighted).for_wave(wave),
        unweighted=analyze(data, min_cell=k, language=language).for_wave(wave)
        if weighted
        else None,
        questionnaire_ids={s.survey: s.questionnaire.id for s in this_wave},
        respondents={s.survey: len(s) for s in this_wave},
        completed={s.survey: int(s.respondents["completed"].sum()) for s in this_wave},
        completed_effective={s.survey: _completed_effective(s) for s in this_wave}
        if weighted
        else None,
    )


def _completed_effective(response_set) -> float:
    """Kish's effective n of the set's completed responses (their number when unweighted)."""
    completed = response_set.respondents["completed"].to_numpy(dtype=bool)
    if response_set.weights is None:
        return float(completed.sum())
    weights = response_set.weights.reindex(response_set.respondents.index).to_numpy(dtype=float)
    return kish(weights[completed])


def _encode(computed: Release) -> bytes:
    """Gzipped JSON: each table with its schema (pandas' "table" orient keeps the dtypes)."""
    results = computed.results

    def encoded(results: Results) -> dict:
        return {name: json.loads(table.to_json(orient="table", index=False))
                for name, table in results.tables.items()}  # fmt: skip

    tables = encoded(results)
    document = {
        "format": FORMAT,
        "min_cell": results.min_cell,
        "language": results.language,
        "questionnaire_ids": computed.questionnaire_ids,
        "respondents": computed.respondents,
        "completed": computed.completed,
        "tables": tables,
    }
    if computed.unweighted is not None:
        document["weighted"] = True
        document["weighted_waves"] = list(results.weighted_waves)
        document["completed_effective"] = computed.completed_effective
        document["unweighted_tables"] = encoded(computed.unweighted)
    return gzip.compress(json.dumps(document, ensure_ascii=False).encode(), mtime=0)


# Columns of pandas' "table" orient rebuilt directly, by their JSON Schema type and pandas
# dtype: `pd.read_json(orient="table")` parses the JSON text again and infers as it goes, which
# took most of a page's first view (0.3 s of 0.5 for a wave's tables).
_DTYPES = {"string": "object", "integer": "int64", "number": "float64", "boolean": "bool"}


def _frame(table: dict) -> pd.DataFrame:
    """A table encoded by `to_json(orient="table", index=False)`, as `read_json` reads it."""
    fields = table["schema"]["fields"]
    if any(f.get("extDtype", _DTYPES.get(f["type"])) is None for f in fields):
        return pd.read_json(io.StringIO(json.dumps(table)), orient="table")  # another type
    rows = table["data"]
    columns = {}
    for field in fields:
        values = [row[field["name"]] for row in rows]
        columns[field["name"]] = pd.array(
            values, dtype=field.get("extDtype", _DTYPES[field["type"]])
        )
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def _decode(
    blob: bytes, administration: str, wave: str, version: str, computed_at: dt.datetime
) -> Release:
    document = json.loads(gzip.decompress(blob))  # of this FORMAT: it is part of the version

    weighted = document.get("weighted", False)
    # Stored before these keys: a weighted release was taken as weighted in its own wave only.
    weighted_waves = tuple(document.get("weighted_waves", [wave] if weighted else []))

    def decoded(encoded: dict, weighted: bool) -> Results:
        tables = {name: _frame(encoded[name]) for name in TABLE_NAMES}
        return Results(**tables, min_cell=document["min_cell"], language=document["language"],
                       weighted=weighted, weighted_waves=weighted_waves if weighted else ())  # fmt: skip

    results = decoded(document["tables"], weighted)
    unweighted = decoded(document["unweighted_tables"], False) if weighted else None
    return Release(
        administration=administration,
        wave=wave,
        version=version,
        computed_at=computed_at,
        results=results,
        questionnaire_ids=document["questionnaire_ids"],
        respondents=document["respondents"],
        completed=document["completed"],
        unweighted=unweighted,
        completed_effective=document.get("completed_effective"),
    )
