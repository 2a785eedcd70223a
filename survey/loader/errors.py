"""The errors of questionnaire files: one `LoadError` each, all of them raised together.

`ErrorReport` collects the errors of one file while the checks build its questionnaire, so that a
file is reported whole rather than stopping at its first mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


class ErrorReport:
    """Collects the errors of one file while building its questionnaire."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[LoadError] = []

    def error(self, where: str, reason: str) -> None:
        self.errors.append(LoadError(str(self.path), where, reason))
