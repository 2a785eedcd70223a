"""Load questionnaire TOML files into `Questionnaire` objects, reporting every error found.

`load_questionnaire` checks one file on its own; `load_questionnaires` loads a set (the built-in
ones, the folders of CIPS_QUESTIONNAIRE_DIRS and any extra files) and checks the links between
counterparts. Errors name the file, the question or construct, and the reason.

The checks of one file live in the modules of this package, one per part of the file:
`file_checks` (the top-level keys, then each section in turn), `questions` (each question, its
choices and bounds), `skip_logic` (show_if) and `constructs`; `errors` holds the error types.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from survey.loader.errors import ErrorReport, LoadError, QuestionnaireError
from survey.loader.file_checks import check_questionnaire
from survey.questionnaire import Questionnaire


def builtin_paths() -> list[Path]:
    folder = resources.files("survey") / "questionnaires"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


def load_questionnaire(path: Path | str) -> Questionnaire:
    """Load and check one file on its own (links to the counterpart are checked by the set)."""
    path = Path(path)
    report = ErrorReport(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionnaireError([LoadError(str(path), "file", exc.strerror or str(exc))]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QuestionnaireError([LoadError(str(path), "file", f"not valid TOML: {exc}")]) from exc
    questionnaire = check_questionnaire(report, data)
    if questionnaire is None:
        raise QuestionnaireError(report.errors)
    return questionnaire


def check_links(questionnaires: dict[str, Questionnaire]) -> list[LoadError]:
    """Every link must name an item of the counterpart that links back, with the same factor."""
    errors: list[LoadError] = []
    for q in questionnaires.values():
        linked = [item for item in q.items if item.link]
        if not linked:
            continue
        other = questionnaires.get(q.counterpart or "")
        if other is None:
            errors.append(
                LoadError(str(q.path), "questionnaire", f"counterpart {q.counterpart!r} not loaded")
            )
            continue
        for item in linked:
            where = f"question '{item.id}'"
            if not other.has_question(item.link):
                errors.append(
                    LoadError(
                        str(q.path), where, f"link to unknown item '{item.link}' in {other.id}"
                    )
                )
                continue
            target = other.question(item.link)
            if target.link != item.id:
                errors.append(
                    LoadError(str(q.path), where, f"'{item.link}' in {other.id} does not link back")
                )
            elif target.factor != item.factor or target.reverse != item.reverse:
                errors.append(
                    LoadError(str(q.path), where, f"'{item.link}' differs in factor or reverse")
                )
    return errors


def load_questionnaires(
    extra: Iterable[Path | str] = (), folders: Iterable[Path] = ()
) -> dict[str, Questionnaire]:
    """Load the built-in questionnaires, those in `folders`, and `extra` files, all checked.

    A later file with the same id replaces an earlier one, so that an administration can ship its
    own version of a built-in questionnaire.
    """
    paths = builtin_paths()
    for folder in folders:
        paths += sorted(Path(folder).glob("*.toml"))
    paths += [Path(p) for p in extra]
    errors: list[LoadError] = []
    loaded: dict[str, Questionnaire] = {}
    for path in paths:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as exc:
            errors += exc.errors
            continue
        loaded[questionnaire.id] = questionnaire
    errors += check_links(loaded)
    if errors:
        raise QuestionnaireError(errors)
    return loaded
