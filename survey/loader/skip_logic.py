"""The checks of a question's skip logic (`show_if`): each condition tests an earlier question."""

from __future__ import annotations

from typing import Any

from survey.loader.errors import ErrorReport
from survey.questionnaire import Condition, Question, QuestionType

CONDITION_KEYS = {"question", "in", "not_in", "min", "max"}


def check_conditions(
    report: ErrorReport, raw: Any, qid: Any, where: str, seen: dict[str, Question]
) -> tuple[Condition, ...]:
    """The conditions of `show_if`; `seen` holds the questions asked before this one."""
    if raw is None:
        return ()
    entries = raw if isinstance(raw, list) else [raw]
    conditions = []
    for entry in entries:
        if not isinstance(entry, dict):
            report.error(where, "show_if must be a table or a list of tables")
            continue
        for key in sorted(set(entry) - CONDITION_KEYS):
            report.error(where, f"show_if: unknown key '{key}'")
        target = entry.get("question")
        tests = [k for k in ("in", "not_in") if k in entry]
        ranged = "min" in entry or "max" in entry
        if target == qid:
            report.error(where, "show_if refers to the question itself (a cycle)")
            continue
        if target not in seen:
            reason = f"show_if refers to unknown question {target!r}"
            if isinstance(target, str) and target:
                reason += " (it must be asked earlier, or the logic would form a cycle)"
            report.error(where, reason)
            continue
        if len(tests) + ranged != 1:
            report.error(where, "show_if needs exactly one test: in, not_in, or min/max")
            continue
        earlier = seen[target]
        if ranged:
            if earlier.type not in (QuestionType.NUMBER, QuestionType.AGREEMENT):
                report.error(where, f"show_if: min/max on non-numeric question '{target}'")
                continue
            conditions.append(Condition(target, min=entry.get("min"), max=entry.get("max")))
            continue
        codes = entry[tests[0]]
        if not isinstance(codes, list) or not codes:
            report.error(where, f"show_if: '{tests[0]}' needs a non-empty list of codes")
            continue
        codes = [str(c) for c in codes]
        possible = set(earlier.codes)
        if possible and (unknown := sorted(set(codes) - possible)):
            report.error(where, f"show_if: '{target}' cannot be answered {', '.join(unknown)}")
            continue
        key = "in_" if tests[0] == "in" else "not_in"
        conditions.append(Condition(target, **{key: frozenset(codes)}))
    return tuple(conditions)
