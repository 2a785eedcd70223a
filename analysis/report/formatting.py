"""The country report's labels and numbers in its language: texts through gettext, numbers and
intervals with the locale's separators, and a missing value as a dash. Shared by the report's
sections (`analysis.report.sections`) and the benchmark section (`analysis.benchmark.
report_section`), which call them on the writer.
"""

from __future__ import annotations

import math

import pandas as pd
from babel.numbers import format_decimal

from analysis import labels


class Formatting:
    """Formats in one language; the report's `Writer` is one."""

    def __init__(self, language: str):
        self.language = language

    def t(self, msgid: str, **args) -> str:
        return labels.label(msgid, self.language, **args)

    def column(self, key: str) -> str:
        return self.t(labels.COLUMNS[key])

    def number(self, value, pattern: str = "0.0") -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return format_decimal(float(value), pattern, locale=self.language)

    def interval(self, low: float, high: float) -> str:
        return f"{self.number(low)} – {self.number(high)}"

    def survey_name(self, survey: str) -> str:
        return self.t(labels.SURVEYS[survey]) if survey in labels.SURVEYS else survey
