"""Interchange files (CSV or XLSX) read straight into a `Dataset`, without a database.

Each file is checked cell by cell like an import (`InvalidFile` lists every problem); its
questionnaire is named in its `questionnaire` column.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from analysis.frames import Dataset, build_response_set
from analysis.interchange import FileProblem, read_raw
from analysis.validation import InvalidFile, Problem, read_and_validate
from survey.i18n import Text
from survey.loader import load_questionnaires
from survey.questionnaire import Questionnaire


def questionnaire_named(
    path: Path, header: list[str], first_row: list[str], questionnaires: dict[str, Questionnaire]
) -> Questionnaire:
    named = first_row[header.index("questionnaire")] if "questionnaire" in header else ""
    if named not in questionnaires:
        known = ", ".join(sorted(questionnaires))
        reason = Text(f"unknown questionnaire {named!r} (known: {known})", translate=False)
        raise InvalidFile([Problem(2, "questionnaire", reason)], path.name)
    return questionnaires[named]


def load_files(
    paths: Iterable[Path | str],
    *,
    questionnaires: dict[str, Questionnaire] | None = None,
    labels_language: str | None = None,
) -> Dataset:
    """A dataset from interchange files, one (administration, wave, questionnaire) each."""
    questionnaires = questionnaires if questionnaires is not None else load_questionnaires()
    sets = []
    for path in map(Path, paths):
        try:
            raw = read_raw(path)
        except FileProblem as exc:
            raise InvalidFile([Problem(0, "", exc.text)], path.name) from exc
        first = raw.rows[0] if raw.rows else []
        questionnaire = questionnaire_named(path, raw.header, first, questionnaires)
        frame = read_and_validate(
            raw, questionnaire, labels_language=labels_language, file=path.name
        )
        sets.append(
            build_response_set(
                questionnaire, frame["administration"].iloc[0], frame["wave"].iloc[0], frame
            )
        )
    return Dataset(sets)
