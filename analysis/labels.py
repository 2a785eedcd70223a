"""Every text the analysis shows (table headers, chart labels, import messages), for gettext.

Key factor names come from `survey.factors`, construct names and answer labels from the
questionnaires; both are already in the catalogs. Use `label(text, language, **args)`.
"""

from __future__ import annotations

from survey.factors import FACTOR_BY_NUMBER, N_
from survey.i18n import Text, render
from survey.questionnaire import Questionnaire

INTEGRITY_INDEX = N_("Overall integrity index")
RELEASES = N_("Released campaigns (closed, their sealed responses), and when:")


def label(msgid: str, language: str, **args) -> str:
    return render(Text(msgid, args), language)


def unit_name(unit_id: str, questionnaire: Questionnaire | None, language: str) -> str:
    """The name of a key factor ("6"), a construct, or the overall index, in `language`."""
    if unit_id.isdigit():
        return render(Text(FACTOR_BY_NUMBER[int(unit_id)].name), language)
    if unit_id == "integrity_index":
        return render(Text(INTEGRITY_INDEX), language)
    if questionnaire is not None:
        for construct in questionnaire.constructs:
            if construct.id == unit_id:
                context = f"{questionnaire.id}:construct:{construct.id}"
                return render(Text(construct.name, context=context), language)
    return unit_id


# Readable column headers (XLSX sheets, charts).
COLUMNS = {
    "administration": N_("Administration"),
    "wave": N_("Wave"),
    "earlier_wave": N_("Earlier wave"),
    "survey": N_("Survey"),
    "item_id": N_("Item"),
    "linked_item_id": N_("Linked item"),
    "factor": N_("Key factor"),
    "factor_name": N_("Key factor name"),
    "group_var": N_("Breakdown"),
    "group_value": N_("Group"),
    "n_valid": N_("Valid answers"),
    "n_dk": N_("Don't know"),
    "n_pna": N_("Prefer not to answer"),
    "n_respondents": N_("Respondents"),
    "score": N_("Score (0-100)"),
    "pct_favourable": N_("Favourable (%)"),
    "pct_unfavourable": N_("Unfavourable (%)"),
    "ci_low": N_("95% interval, low"),
    "ci_high": N_("95% interval, high"),
    "dk_rate": N_("Don't know (%)"),
    "pna_rate": N_("Prefer not to answer (%)"),
    "alpha": N_("Cronbach's alpha"),
    "suppressed": N_("Suppressed (fewer than k)"),
    "officials_pct_favourable": N_("Officials: favourable (%)"),
    "officials_n": N_("Officials: n"),
    "private_sector_pct_favourable": N_("Private sector: favourable (%)"),
    "private_sector_n": N_("Private sector: n"),
    "pct_favourable_earlier": N_("Earlier wave: favourable (%)"),
    "n": N_("n"),
    "n_effective": N_("Effective sample size (Kish)"),
    "n_earlier": N_("Earlier wave: n"),
    "difference": N_("Difference (points)"),
    "significant": N_("Significant"),
    "level": N_("Level"),
    "rank": N_("Rank"),
    "below_overall": N_("Below the overall score (points)"),
    "kpi": N_("Indicator"),
    "name": N_("Name"),
    "metric": N_("Measure"),
}

# Workbook headers of the code columns, each with a readable column beside it
# (`analysis.readable`), and of those readable columns and the `quality` table.
WORKBOOK_COLUMNS = {
    "survey": N_("Survey (code)"),
    "survey_name": N_("Survey"),
    "item_id": N_("Item (code)"),
    "statement": N_("Statement"),
    "linked_item_id": N_("Linked item (code)"),
    "linked_statement": N_("Linked statement"),
    "factor": N_("Key factor (code)"),
    "group_var": N_("Breakdown (code)"),
    "group_question": N_("Breakdown"),
    "group_value": N_("Group (code)"),
    "group_label": N_("Group"),
    "level": N_("Level (code)"),
    "level_name": N_("Level"),
    "metric": N_("Measure (code)"),
    "metric_name": N_("Measure"),
    "respondents": N_("Respondents"),
    "judged": N_("Respondents with enough answers to judge"),
    "straightliners": N_("Straight-liners"),
    "excluded": N_("Left out of the other tables"),
}
LEVEL_FACTOR = N_("Key factor")
LEVEL_ITEM = N_("Statement")
LEVEL_GROUP = N_("Group")

SURVEYS = {"officials": N_("Customs officials"), "private_sector": N_("Private sector")}

TABLES = {
    "items": N_("Items"),
    "factors": N_("Key factors"),
    "gaps": N_("Perception gap"),
    "trends": N_("Trends"),
    "problems": N_("Where the problems are"),
    "kpis": N_("KPIs"),
    "quality": N_("Data quality: straight-lining"),
}

README_TITLE = N_("About these tables")
WEIGHTED_NOTE = N_(
    "Weighted figures: raked to the population margins set for the wave (cips weights); counts "
    "and small-cell suppression are unweighted; n_effective is Kish's effective sample size, "
    "which the intervals use."
)
WEIGHTED_WAVES = N_(
    "Weighted waves: {waves}; the figures of the other waves are unweighted (no population "
    "margins were set for them)."
)
# Where a trend is shown (workbook, country report, results page): the same msgid everywhere.
MIXED_TREND = N_(
    "The trend compares the weighted figures of {weighted} with the unweighted figures of "
    "{unweighted} (no population margins were set for it): part of the change may come from "
    "the weighting alone."
)
README_LINES = (
    N_("Scores follow the CIPS scoring rules: 0-100 scores, % favourable (agree or strongly "
       "agree) with 95% Wilson intervals, Don't know and Prefer not to answer excluded."),
    N_("Grey cells are suppressed: fewer than {k} respondents, or, in a breakdown, a group hidden "
       "to protect a smaller one. A breakdown hides the same groups in every row of every table, "
       "so that no hidden figure can be worked out from the total or from other rows."),
    N_("Differences are in percentage points of % favourable, with 95% Newcombe intervals; "
       "significant when the interval excludes 0."),
)  # fmt: skip

# Straight-lining (`analysis.quality`), in the workbook's notes.
STRAIGHTLINING = N_(
    "Straight-lining, {survey}, {administration} {wave}: {count} of the {judged} respondents who "
    "answered at least {min} statements of two or more key factors gave one answer to every "
    "statement of each of those factors ({respondents} respondents in all)."
)
STRAIGHTLINING_SUPPRESSED = N_(
    "Straight-lining, {survey}, {administration} {wave}: fewer than {k} respondents, not shown."
)
STRAIGHTLINERS_EXCLUDED = N_(
    "The straight-liners are left out of every other table of this workbook (cips analyze "
    "--exclude-straightliners)."
)
STRAIGHTLINERS_INCLUDED = N_(
    "The straight-liners are counted in every table; the respondent-level files flag them "
    "(column straightliner)."
)

# Charts.
CHART_FACTORS_TITLE = N_("{survey}: key factors, {administration} {wave}")
CHART_GAP_TITLE = N_("Perception gap (officials minus private sector), {administration} {wave}")
CHART_TREND_TITLE = N_("{survey}: change from {earlier} to {wave}, {administration}")
CHART_FAVOURABLE = N_("Favourable (%) with 95% interval")
CHART_SCORE = N_("Score (0-100)")
CHART_DIFFERENCE = N_("Difference in favourable (percentage points) with 95% interval")
CHART_SUPPRESSED = N_("suppressed (n < {k})")
# A breakdown's hidden cell (web pages): below k, or a group hidden to protect a smaller one
# (`analysis.suppression`). One label for both, truthful for either: which of the hidden groups
# is the small one is not said, since that would bound its count (the groups' sum is known).
BREAKDOWN_SUPPRESSED = N_("suppressed (n < {k}, or to protect a smaller group)")
CHART_FACTORS_AXIS = N_("Favourable (%) and score (0-100)")
CHART_SIGNIFICANT = N_("Significant (the 95% interval excludes 0)")
CHART_NOT_SIGNIFICANT = N_("Not significant")

# Reading and importing interchange files (SCORING.md, "Interchange format").
FILE_UNREADABLE = N_("The file {file} cannot be read: {reason}")
FILE_NOT_UTF8 = N_("The file is not UTF-8 text. Save it as CSV UTF-8, or as an Excel workbook.")
FILE_UNKNOWN_TYPE = N_("Use a .csv or .xlsx file.")
FILE_EMPTY = N_("The file has no respondent rows.")
FILE_TOO_LARGE = N_(
    "The file {file} is {size} MB, more than the {limit} MB an import may be "
    "(setting CIPS_IMPORT_MAX_BYTES): nothing was read."
)
FILE_UNPACKED_TOO_LARGE = N_(
    "The workbook {file} unpacks to {size} MB, more than the {limit} MB allowed "
    "(setting CIPS_IMPORT_MAX_UNPACKED_BYTES): it was not opened."
)
FILE_BAD_ARCHIVE = N_(
    "The workbook {file} is damaged or was not made by a spreadsheet program "
    "(its part {part} is not packed as a spreadsheet program packs it): it was not opened."
)
FILE_TOO_MANY_ROWS = N_(
    "The file {file} has more than {limit} rows, the most an import may have "
    "(setting CIPS_IMPORT_MAX_ROWS)."
)
FILE_TOO_MANY_COLUMNS = N_("The file {file} has more than {limit} columns.")
FILE_LINE_TOO_LONG = N_("Line {line} of the file {file} is longer than {limit} characters.")
FILE_SEMICOLONS = N_(
    "The file {file} is separated by semicolons (;), as Excel saves a CSV file where the list "
    "separator is a semicolon; an import reads CSV separated by commas. Save it as an Excel "
    "workbook (.xlsx), which imports as well, or as CSV UTF-8 with commas."
)
CELL_PROBLEM = N_("Row {row}, column {column}: {problem}")
HEADER_PROBLEM = N_("Column {column}: {problem}")
ROW_TOO_LONG = N_("Row {row} has more cells than there are columns.")
ROW_TOO_SHORT = N_(
    "Row {row} has {count} cells, fewer than the {columns} columns: it may have been cut short "
    "(empty cells at the end of a row are written too, each after its comma)."
)
MISSING_COLUMN = N_("The column {column} is missing.")
UNKNOWN_COLUMN = N_("not a column of the interchange format, nor a question of {questionnaire}")
DUPLICATE_COLUMN = N_("this column appears twice")
EMPTY_ID = N_("the respondent id is empty")
DUPLICATE_ID = N_("the respondent id “{value}” is also on row {other}")
WRONG_VALUE = N_("“{value}” should be “{expected}”")
BAD_WAVE = N_("“{value}” is not a wave label (up to 32 letters, digits, '.', '-' or '_')")
BAD_LANGUAGE = N_("“{value}” is not a language code such as en, fr or pt-BR")
NOT_BOOLEAN = N_("“{value}” should be true or false")
NOT_AGREEMENT = N_("“{value}” is not an answer on the agreement scale (1-5, DK, PNA, or blank)")
NOT_A_CHOICE = N_("“{value}” is not one of the answers: {choices}")
TOO_MANY_CHOICES = N_("more than {count} answers chosen")
REPEATED_CHOICE = N_("an answer is chosen twice")
NOT_A_NUMBER = N_("“{value}” is not a number")
NOT_WHOLE = N_("“{value}” is not a whole number")
OUT_OF_RANGE = N_("{value} is outside {min}-{max}")
TEXT_TOO_LONG = N_("the text is longer than {count} characters")
IMPORT_FAILED = N_("{count} problem(s) found in {file}: nothing was imported.")
MORE_PROBLEMS = N_("… and {count} more problem(s), not shown.")
INPUT_FAILED = N_("{count} problem(s) found in {file}: nothing was analysed.")
# A command with --language says click's "Error: ..." in it (cips.cli.language.TranslatedError).
ERROR = N_("Error: {message}")
MARGINS_NOT_SET = N_("{campaign}: margins not set")
IMPORTED = N_(
    "Imported {count} respondents ({completed} completed) into the closed campaign {campaign}."
)
ALREADY_IMPORTED = N_("This file was already imported, as campaign {campaign}.")
ALREADY_IN_WAVE = N_(
    "{matched} of the {count} responses of this file are already in wave {wave} of {administration} "
    "({survey}), in campaign {campaigns}: the same answers, whatever the ids, the order of the "
    "rows or the language of the labels. Nothing was imported. If they really are other people's, "
    "import the file with --allow-duplicates."
)
# What the answers that are not recognised seem to have in common (`analysis.validation`).
EXPECTED_CODES = N_("{count} answers are not answer codes, as expected without --labels.")
EXPECTED_LABELS = N_(
    "{count} answers are neither answer codes nor labels in {language}, as expected with --labels."
)
SEEMS_IN_LANGUAGE = N_(
    "{matched} of them are labels in {language}: the file seems to be in that language (import "
    "it with --labels {code})."
)
# Responses that cannot be analysed as asked (`analysis.frames.AnalysisError`).
TWO_QUESTIONNAIRES = N_(
    "{administration}, wave {wave}, {survey}: the responses come from two questionnaires "
    "({first}, {second}); analyse them separately."
)
QUESTIONNAIRE_NOT_LOADED = N_(
    "Campaign {campaign} uses the questionnaire {questionnaire}, which is not loaded (see "
    "CIPS_QUESTIONNAIRE_DIRS)."
)
NO_ADMINISTRATION = N_(
    "There is no administration {code}: create it first with `cips administration create`."
)

# SPSS and Stata files (`analysis.variables`, `analysis.statfiles`): variable and value labels.
FIXED_VARIABLES = {
    "respondent_id": N_("Respondent (random id)"),
    "questionnaire": N_("Questionnaire"),
    "survey": N_("Survey"),
    "administration": N_("Administration"),
    "wave": N_("Wave"),
    "language": N_("Language of the answers"),
    "completed": N_("Completed the survey"),
    "weight": N_("Weight"),
    "straightliner": N_("Straight-lining: one answer to every statement of each key factor"),
}
YES = N_("Yes")
NO = N_("No")
CHOSEN = N_("Chosen")
NOT_CHOSEN = N_("Not chosen")
CHOICE_VARIABLE = N_("{question}: {answer}")

# The codebook (`analysis.codebook`, `cips codebook`).
CODEBOOK_TITLE = N_("Codebook: {title}")
CODEBOOK_ABOUT = N_(
    "Questionnaire {questionnaire}, version {version}; labels in {language_name}. The variables of "
    "the respondent-level files (`cips export`: csv, xlsx, sav, dta), in order."
)
CODEBOOK_NOTES = (
    N_("A blank cell (not asked, not reached, skipped) is system-missing in SPSS and . in Stata."),
    N_("Don't know and Prefer not to answer are declared missing values: user-missing codes in "
       "SPSS (8 and 9, or 98 and 99 where the answers go past 7), extended missing values .a and "
       ".b in Stata, each with its label."),
    N_("Answers are stored as given: reverse-coded items are recoded 6 - v only when scored."),
    N_("Labels longer than a file format holds are cut at a word boundary and end in “…”: "
       "variable labels at 80 characters in Stata and 256 bytes in SPSS, value labels at 120 "
       "bytes in SPSS. The cut labels are shown where they differ."),
    N_("Free-text answers are in none of these files: `cips export --free-text` writes them "
       "alone, detached."),
)  # fmt: skip
CODEBOOK_COLUMNS = {
    "variable": N_("Variable"),
    "question": N_("Question"),
    "type": N_("Type"),
    "label": N_("Label"),
    "stata_label": N_("Label in Stata files (80 characters)"),
    "spss_label": N_("Label in SPSS files (256 bytes)"),
    "values": N_("Codes and labels"),
    "missing": N_("Missing codes"),
    "factor": N_("Key factor"),
    "factor_name": N_("Key factor name"),
    "reverse": N_("Reverse-coded"),
    "link": N_("Linked item"),
    "constructs": N_("Constructs"),
    "shown_if": N_("Asked only if"),
    "notes": N_("Notes"),
}
CODEBOOK_TYPES = {
    "agreement": N_("Agreement scale"),
    "single_choice": N_("One answer"),
    "multiple_choice": N_("Several answers (one 0/1 variable per answer)"),
    "number": N_("Number"),
    "text": N_("Free text"),
    "fixed": N_("Text"),
    "yes_no": N_("Yes or no"),
    "weight": N_("Number"),
}
CODEBOOK_MISSING = N_("SPSS: {codes} (user-missing); Stata: {letters}")
CODEBOOK_SHORT_VALUE = N_("{label} (in SPSS files: {short})")
CODEBOOK_NUMBER = N_("a number from {min} to {max}")
CODEBOOK_WHOLE_NUMBER = N_("a whole number from {min} to {max}")
CODEBOOK_FREE_TEXT = N_("Not in the respondent-level files (free text leaves only detached).")
CODEBOOK_DEMOGRAPHIC = N_("Demographic question")
CODEBOOK_STRAIGHTLINER = N_(
    "Derived from the answers: Yes when the respondent answered at least {min} statements of two "
    "or more key factors and gave one answer to every statement of each of those factors (Don't "
    "know or Prefer not to answer breaks the line); blank when fewer than two key factors have "
    "{min} answers from them."
)
SKIP_IN = N_("{question} is {answers}")
SKIP_NOT_IN = N_("{question} is not {answers}")
SKIP_AT_LEAST = N_("{question} is at least {min}")
SKIP_AT_MOST = N_("{question} is at most {max}")
SKIP_BETWEEN = N_("{question} is between {min} and {max}")
EITHER = N_("{first} or {second}")
BOTH = N_("{first} and {second}")
