"""Respondent-level SPSS (.sav) and Stata (.dta) files, written with pyreadstat.

The rows are those of the interchange frame (`analysis.database.export_campaign`, codes); the
variables, labels and codes those of `analysis.variables`. The files follow the conventions R's
haven reads: labelled values, and Don't know / Prefer not to answer as declared missing values
(SPSS user-missing codes; Stata extended missing `.a` and `.b`, labelled). Labels longer than a
format holds are cut by the rule of `analysis.label_limits`, which the codebook shows. A Stata
variable's value labels are the set `lbl_` + its name (`label_set_names`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.label_limits import spss_value_label, spss_variable_label, stata_variable_label
from analysis.quality import COLUMN as STRAIGHTLINER
from analysis.quality import frame_flags
from analysis.variables import WEIGHT, Kind, Variable, file_variables, stata_code
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, Questionnaire

FORMATS = ("sav", "dta")
LABEL_SET_PREFIX = "lbl_"
STATA_NAME_LIMIT = 32


def _column(frame: pd.DataFrame, variable: Variable, fmt: str) -> pd.Series:
    cells = frame[variable.column].fillna("").astype(str)
    if variable.kind is Kind.TEXT:
        return cells.astype(object)
    if variable.kind is Kind.NUMBER:
        return pd.to_numeric(cells.replace("", np.nan), errors="raise").astype(float)
    if variable.kind is Kind.CHOSEN:
        chosen = [
            np.nan if not v else float(variable.choice in v.split(MULTIPLE_CHOICE_SEPARATOR))
            for v in cells
        ]
        return pd.Series(chosen, index=frame.index, dtype=float)
    unknown = set(cells) - set(variable.codes) - {""}
    if unknown:
        raise ValueError(f"{variable.column}: codes {sorted(unknown)} are not in the questionnaire")
    numbers = cells.map(lambda v: float(variable.codes[v]) if v else np.nan)
    if fmt == "dta" and variable.missing:
        # Stata: a float column with the letters of the extended missing values in place (an
        # int among them would make pyreadstat write an integer column, blanks as 0).
        letters = {number: stata_code(variable, number) for number in variable.missing}
        return pd.Series(
            [letters.get(v, v) for v in numbers],
            index=frame.index,
            dtype=object,
        )
    return numbers.astype(float)


def stat_frame(
    frame: pd.DataFrame, variables: list[Variable], fmt: str, weights: pd.Series | None = None
) -> pd.DataFrame:
    """The columns of the file, named and coded as `variables` say (`weights` aligned with
    `frame`'s rows, for the `weight` variable)."""
    source = frame if weights is None else frame.assign(**{WEIGHT: weights.astype(float)})
    return pd.DataFrame({v.name: _column(source, v, fmt) for v in variables}, index=frame.index)


def write_stat_file(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    path: Path | str,
    language: str,
    *,
    file_label: str = "",
    weights: pd.Series | None = None,
) -> list[Variable]:
    """Write the interchange `frame` (codes) of `questionnaire` as .sav or .dta (by `path`'s
    suffix), labelled in `language`. `weights` (one per row) adds the `weight` variable: the
    raking weights of the campaign's margins (`analysis.margins.campaign_weights`). Returns the
    variables written."""
    import pyreadstat

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path}: use a .sav or .dta file name")
    variables = file_variables(questionnaire, language, weighted=weights is not None)
    if STRAIGHTLINER not in frame.columns:  # a frame not read by `campaign_frame`
        frame = frame.assign(**{STRAIGHTLINER: frame_flags(frame, questionnaire)})
    data = stat_frame(frame, variables, fmt, weights).reset_index(drop=True)
    if fmt == "sav":
        pyreadstat.write_sav(
            data,
            path,
            file_label=spss_variable_label(file_label),
            column_labels={v.name: spss_variable_label(v.label) for v in variables},
            variable_value_labels={
                v.name: {k: spss_value_label(t) for k, t in v.value_labels.items()}
                for v in variables
                if v.value_labels
            },
            missing_ranges={v.name: sorted(v.missing) for v in variables if v.missing},
            variable_measure={v.name: v.measure for v in variables},
        )
    else:
        value_labels = {}
        for v in variables:
            if v.value_labels:
                value_labels[v.name] = {stata_code(v, k): t for k, t in v.value_labels.items()}
        pyreadstat.write_dta(
            data,
            path,
            file_label=stata_variable_label(file_label),
            column_labels={v.name: stata_variable_label(v.label) for v in variables},
            variable_value_labels=value_labels,
            missing_user_values={
                v.name: sorted(str(stata_code(v, k)) for k in v.missing)
                for v in variables
                if v.missing
            },
        )
        _name_label_sets(path, [v.name for v in variables])
    return variables


def label_set_names(names: list[str]) -> dict[str, str]:
    """The Stata value-label set of each variable: `lbl_` and its name, cut to Stata's 32
    characters (and numbered where two cut names would meet). pyreadstat names a set after its
    variable plus a counter (`p_lc1` gets `p_lc15`), which reads as another variable."""
    chosen: dict[str, str] = {}
    for name in names:
        label_set = f"{LABEL_SET_PREFIX}{name}"[:STATA_NAME_LIMIT]
        number = 1
        while label_set in chosen.values():
            suffix = f"_{number}"
            label_set = f"{LABEL_SET_PREFIX}{name}"[: STATA_NAME_LIMIT - len(suffix)] + suffix
            number += 1
        chosen[name] = label_set
    return chosen


def _name_label_sets(path: Path, names: list[str]) -> None:
    """Rename pyreadstat's value-label sets in the written .dta in place: every name is a
    fixed-width, NUL-padded field (in the variables' `<value_label_names>` and at the head of
    each `<lbl>` table), so a new name of at most 32 characters moves no byte and no offset."""
    content = bytearray(path.read_bytes())
    start = content.index(b"<value_label_names>") + len(b"<value_label_names>")
    end = content.index(b"</value_label_names>", start)
    width = (end - start) // len(names)
    wanted = label_set_names(names)
    renamed: dict[bytes, bytes] = {}

    def field(name: bytes) -> bytes:
        return name.ljust(width, b"\0")

    for index, name in enumerate(names):
        at = start + index * width
        old = bytes(content[at : at + width]).rstrip(b"\0")
        if old:
            renamed[old] = wanted[name].encode("ascii")
            content[at : at + width] = field(renamed[old])
    order = "little" if b"<byteorder>LSF</byteorder>" in content[:200] else "big"
    at = content.index(b"<value_labels>") + len(b"<value_labels>")
    while content.startswith(b"<lbl>", at):  # table by table, by their lengths
        length = int.from_bytes(content[at + 5 : at + 9], order)
        at += 9  # then the name, 3 bytes of padding, the table, </lbl>
        old = bytes(content[at : at + width]).rstrip(b"\0")
        content[at : at + width] = field(renamed.get(old, old))
        at += width + 3 + length + len(b"</lbl>")
    path.write_bytes(bytes(content))
