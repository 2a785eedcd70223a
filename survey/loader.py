"""Load questionnaire TOML files into `Questionnaire` objects, reporting every error found.

`load_questionnaire` checks one file on its own; `load_questionnaires` loads a set (the built-in
ones, the folders of CIPS_QUESTIONNAIRE_DIRS and any extra files) and checks the links between
counterparts. Errors name the file, the question or construct, and the reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from survey.factors import FACTOR_BY_NUMBER
from survey.questionnaire import (
    Choice,
    Condition,
    Construct,
    Question,
    Questionnaire,
    QuestionType,
    Survey,
)

QUESTIONNAIRE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CHOICE_CODE = re.compile(r"^[a-z0-9_]{1,24}$")  # fits Telegram's 64-byte callback_data
MAX_TEXT_LENGTH = 4000
MAX_STATEMENT_LENGTH = 1000

TOP_KEYS = {
    "id", "version", "survey", "title", "source_language", "counterpart", "allow_back",
    "demographics", "items", "constructs",
}  # fmt: skip
QUESTION_KEYS = {
    "id", "type", "text", "required", "factor", "reverse", "link", "choices", "max_choices",
    "min", "max", "integer", "max_length", "show_if",
}  # fmt: skip
KEYS_BY_TYPE = {
    QuestionType.AGREEMENT: {"factor", "reverse", "link"},
    QuestionType.SINGLE_CHOICE: {"choices", "factor"},
    QuestionType.MULTIPLE_CHOICE: {"choices", "max_choices", "factor"},
    QuestionType.NUMBER: {"min", "max", "integer", "factor"},
    QuestionType.TEXT: {"max_length"},
}
COMMON_KEYS = {"id", "type", "text", "required", "show_if"}
CONDITION_KEYS = {"question", "in", "not_in", "min", "max"}


@dataclass(frozen=True)
class LoadError:
    file: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.reason}"


class QuestionnaireError(Exception):
    """Raised with every error found in one or more questionnaire files."""

    def __init__(self, errors: list[LoadError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def builtin_paths() -> list[Path]:
    folder = resources.files("survey") / "questionnaires"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


class _FileChecker:
    """Collects the errors of one file while building its questionnaire."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[LoadError] = []

    def error(self, where: str, reason: str) -> None:
        self.errors.append(LoadError(str(self.path), where, reason))

    def questionnaire(self, data: dict[str, Any]) -> Questionnaire | None:
        for key in sorted(set(data) - TOP_KEYS):
            self.error("questionnaire", f"unknown key '{key}'")
        qid = data.get("id")
        if not isinstance(qid, str) or not QUESTIONNAIRE_ID.match(qid):
            self.error("questionnaire", f"missing or malformed id {qid!r}")
        survey = data.get("survey")
        if survey not in set(Survey):
            self.error(
                "questionnaire", f"unknown survey {survey!r} (officials, private_sector, other)"
            )
        for key in ("version", "title", "source_language"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                self.error("questionnaire", f"missing '{key}'")
        counterpart = data.get("counterpart")
        if counterpart is not None and not isinstance(counterpart, str):
            self.error("questionnaire", "counterpart must be a questionnaire id")

        seen: dict[str, Question] = {}
        demographics = self._questions(data.get("demographics", []), "demographics", seen)
        items = self._questions(data.get("items", []), "items", seen)
        if not items:
            self.error("questionnaire", "no items")
        constructs = self._constructs(data.get("constructs", []), seen)
        if self.errors:
            return None
        return Questionnaire(
            id=qid,
            version=data["version"],
            survey=Survey(survey),
            title=data["title"],
            source_language=data["source_language"],
            counterpart=counterpart,
            allow_back=bool(data.get("allow_back", True)),
            demographics=demographics,
            items=items,
            constructs=constructs,
            path=self.path,
        )

    def _questions(self, raw: Any, section: str, seen: dict[str, Question]) -> tuple[Question, ...]:
        if not isinstance(raw, list):
            self.error(section, "must be a list of tables ([[...]])")
            return ()
        questions = []
        for number, entry in enumerate(raw, start=1):
            where = f"{section}[{number}]"
            if not isinstance(entry, dict):
                self.error(where, "must be a table")
                continue
            if isinstance(entry.get("id"), str):
                where = f"question '{entry['id']}'"
            question = self._question(entry, where, section == "demographics", seen)
            if question is not None:
                if question.id in seen:
                    self.error(where, "duplicate id")
                    continue
                seen[question.id] = question
                questions.append(question)
        return tuple(questions)

    def _question(
        self, entry: dict[str, Any], where: str, demographic: bool, seen: dict[str, Question]
    ) -> Question | None:
        errors_before = len(self.errors)
        qid = entry.get("id")
        if not isinstance(qid, str) or not QUESTION_ID.match(qid):
            self.error(where, f"missing or malformed id {qid!r} (a-z, 0-9, _; at most 32)")
        try:
            qtype = QuestionType(entry.get("type"))
        except ValueError:
            self.error(where, f"unknown type {entry.get('type')!r}")
            return None
        allowed = COMMON_KEYS | KEYS_BY_TYPE[qtype]
        for key in sorted(set(entry) - QUESTION_KEYS):
            self.error(where, f"unknown key '{key}'")
        for key in sorted((set(entry) & QUESTION_KEYS) - allowed):
            self.error(where, f"'{key}' does not apply to a {qtype} question")
        text = entry.get("text")
        if not isinstance(text, str) or not text.strip():
            self.error(where, "missing text")
        elif len(text) > MAX_STATEMENT_LENGTH:
            self.error(where, f"text longer than {MAX_STATEMENT_LENGTH} characters")

        factor = entry.get("factor")
        if factor is not None and (not isinstance(factor, int) or factor not in FACTOR_BY_NUMBER):
            self.error(where, f"unknown factor {factor!r} (key factors are 1-10)")
        if qtype is QuestionType.AGREEMENT and factor is None and not demographic:
            self.error(where, "an agreement item needs a key factor (1-10)")
        choices = self._choices(entry, qtype, where)
        bounds = self._bounds(entry, qtype, where)
        max_length = entry.get("max_length", 1000)
        if not isinstance(max_length, int) or not 1 <= max_length <= MAX_TEXT_LENGTH:
            self.error(where, f"max_length must be 1-{MAX_TEXT_LENGTH}")
        max_choices = entry.get("max_choices")
        if max_choices is not None and (
            not isinstance(max_choices, int) or not 1 <= max_choices <= len(choices)
        ):
            self.error(where, "max_choices must be between 1 and the number of choices")
        show_if = self._conditions(entry.get("show_if"), qid, where, seen)
        for flag in ("required", "reverse", "integer"):
            if flag in entry and not isinstance(entry[flag], bool):
                self.error(where, f"'{flag}' must be true or false")
        link = entry.get("link")
        if link is not None and (not isinstance(link, str) or not QUESTION_ID.match(link)):
            self.error(where, f"malformed link {link!r}")
        if len(self.errors) > errors_before:
            return None
        return Question(
            id=qid,
            type=qtype,
            text=text,
            demographic=demographic,
            required=entry.get("required", True),
            factor=factor,
            reverse=entry.get("reverse", False),
            link=link,
            choices=choices,
            max_choices=max_choices,
            min=bounds[0],
            max=bounds[1],
            integer=entry.get("integer", True),
            max_length=max_length,
            show_if=show_if,
        )

    def _choices(
        self, entry: dict[str, Any], qtype: QuestionType, where: str
    ) -> tuple[Choice, ...]:
        if qtype not in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            return ()
        raw = entry.get("choices")
        if not isinstance(raw, list) or not raw:
            self.error(where, "empty choice list")
            return ()
        choices: list[Choice] = []
        for choice in raw:
            if not isinstance(choice, dict) or set(choice) != {"code", "label"}:
                self.error(where, f"a choice must be {{ code = ..., label = ... }}, got {choice!r}")
                continue
            code, label = choice["code"], choice["label"]
            if not isinstance(code, str) or not CHOICE_CODE.match(code):
                self.error(where, f"malformed choice code {code!r}")
            elif any(c.code == code for c in choices):
                self.error(where, f"duplicate choice code '{code}'")
            elif not isinstance(label, str) or not label.strip():
                self.error(where, f"choice '{code}' has no label")
            else:
                choices.append(Choice(code, label))
        return tuple(choices)

    def _bounds(
        self, entry: dict[str, Any], qtype: QuestionType, where: str
    ) -> tuple[float | None, float | None]:
        if qtype is not QuestionType.NUMBER:
            return None, None
        low, high = entry.get("min"), entry.get("max")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
            self.error(where, "a number question needs numeric 'min' and 'max'")
            return None, None
        if low >= high:
            self.error(where, f"min ({low}) must be below max ({high})")
        return low, high

    def _conditions(
        self, raw: Any, qid: Any, where: str, seen: dict[str, Question]
    ) -> tuple[Condition, ...]:
        if raw is None:
            return ()
        entries = raw if isinstance(raw, list) else [raw]
        conditions = []
        for entry in entries:
            if not isinstance(entry, dict):
                self.error(where, "show_if must be a table or a list of tables")
                continue
            for key in sorted(set(entry) - CONDITION_KEYS):
                self.error(where, f"show_if: unknown key '{key}'")
            target = entry.get("question")
            tests = [k for k in ("in", "not_in") if k in entry]
            ranged = "min" in entry or "max" in entry
            if target == qid:
                self.error(where, "show_if refers to the question itself (a cycle)")
                continue
            if target not in seen:
                reason = f"show_if refers to unknown question {target!r}"
                if isinstance(target, str) and target:
                    reason += " (it must be asked earlier, or the logic would form a cycle)"
                self.error(where, reason)
                continue
            if len(tests) + ranged != 1:
                self.error(where, "show_if needs exactly one test: in, not_in, or min/max")
                continue
            earlier = seen[target]
            if ranged:
                if earlier.type not in (QuestionType.NUMBER, QuestionType.AGREEMENT):
                    self.error(where, f"show_if: min/max on non-numeric question '{target}'")
                    continue
                conditions.append(Condition(target, min=entry.get("min"), max=entry.get("max")))
                continue
            codes = entry[tests[0]]
            if not isinstance(codes, list) or not codes:
                self.error(where, f"show_if: '{tests[0]}' needs a non-empty list of codes")
                continue
            codes = [str(c) for c in codes]
            possible = set(earlier.codes)
            if possible and (unknown := sorted(set(codes) - possible)):
                self.error(where, f"show_if: '{target}' cannot be answered {', '.join(unknown)}")
                continue
            key = "in_" if tests[0] == "in" else "not_in"
            conditions.append(Condition(target, **{key: frozenset(codes)}))
        return tuple(conditions)

    def _constructs(self, raw: Any, seen: dict[str, Question]) -> tuple[Construct, ...]:
        if not isinstance(raw, list):
            self.error("constructs", "must be a list of tables ([[constructs]])")
            return ()
        constructs: list[Construct] = []
        for number, entry in enumerate(raw, start=1):
            cid = entry.get("id") if isinstance(entry, dict) else None
            where = f"construct '{cid}'" if isinstance(cid, str) else f"constructs[{number}]"
            if not isinstance(entry, dict):
                self.error(where, "must be a table")
                continue
            for key in sorted(set(entry) - {"id", "name", "items"}):
                self.error(where, f"unknown key '{key}'")
            if not isinstance(cid, str) or not QUESTION_ID.match(cid):
                self.error(where, f"missing or malformed id {cid!r}")
                continue
            if cid in seen or any(c.id == cid for c in constructs):
                self.error(where, "duplicate id")
                continue
            if not isinstance(entry.get("name"), str) or not entry["name"].strip():
                self.error(where, "missing name")
                continue
            items = entry.get("items")
            if not isinstance(items, list) or len(items) < 2:
                self.error(where, "needs a list of at least two items")
                continue
            unknown = [i for i in items if i not in seen]
            unscored = [i for i in items if i in seen and not seen[i].scored]
            if unknown:
                self.error(where, f"unknown items {', '.join(map(str, unknown))}")
            elif unscored:
                self.error(
                    where, f"items that are not scored agreement items: {', '.join(unscored)}"
                )
            elif len(set(items)) != len(items):
                self.error(where, "an item is listed twice")
            else:
                constructs.append(Construct(cid, entry["name"], tuple(items)))
        return tuple(constructs)


def load_questionnaire(path: Path | str) -> Questionnaire:
    """Load and check one file on its own (links to the counterpart are checked by the set)."""
    path = Path(path)
    checker = _FileChecker(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionnaireError([LoadError(str(path), "file", exc.strerror or str(exc))]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QuestionnaireError([LoadError(str(path), "file", f"not valid TOML: {exc}")]) from exc
    questionnaire = checker.questionnaire(data)
    if questionnaire is None:
        raise QuestionnaireError(checker.errors)
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
