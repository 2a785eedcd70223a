"""The checks of the constructs: named groups of at least two scored agreement items."""

from __future__ import annotations

from typing import Any

from survey.loader.errors import ErrorReport
from survey.loader.questions import QUESTION_ID
from survey.questionnaire import Construct, Question


def check_constructs(
    report: ErrorReport, raw: Any, seen: dict[str, Question]
) -> tuple[Construct, ...]:
    """The constructs of a file whose questions are `seen` (a construct id may not reuse one)."""
    if not isinstance(raw, list):
        report.error("constructs", "must be a list of tables ([[constructs]])")
        return ()
    constructs: list[Construct] = []
    for number, entry in enumerate(raw, start=1):
        cid = entry.get("id") if isinstance(entry, dict) else None
        where = f"construct '{cid}'" if isinstance(cid, str) else f"constructs[{number}]"
        if not isinstance(entry, dict):
            report.error(where, "must be a table")
            continue
        for key in sorted(set(entry) - {"id", "name", "items"}):
            report.error(where, f"unknown key '{key}'")
        if not isinstance(cid, str) or not QUESTION_ID.match(cid):
            report.error(where, f"missing or malformed id {cid!r}")
            continue
        if cid in seen or any(c.id == cid for c in constructs):
            report.error(where, "duplicate id")
            continue
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            report.error(where, "missing name")
            continue
        items = entry.get("items")
        if not isinstance(items, list) or len(items) < 2:
            report.error(where, "needs a list of at least two items")
            continue
        unknown = [i for i in items if i not in seen]
        unscored = [i for i in items if i in seen and not seen[i].scored]
        if unknown:
            report.error(where, f"unknown items {', '.join(map(str, unknown))}")
        elif unscored:
            report.error(where, f"items that are not scored agreement items: {', '.join(unscored)}")
        elif len(set(items)) != len(items):
            report.error(where, "an item is listed twice")
        else:
            constructs.append(Construct(cid, entry["name"], tuple(items)))
    return tuple(constructs)
