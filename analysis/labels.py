"""Every text the analysis shows (table headers, chart labels, import messages), for gettext.

Key factor names come from `survey.factors`, construct names and answer labels from the
questionnaires; both are already in the catalogs. Use `label(text, language, **args)`.
"""

from __future__ import annotations

from survey.factors import FACTOR_BY_NUMBER, N_
from survey.i18n import Text, render
from survey.questionnaire import Questionnaire

INTEGRITY_INDEX = N_("Overall integrity index")


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

SURVEYS = {"officials": N_("Customs officials"), "private_sector": N_("Private sector")}

TABLES = {
    "items": N_("Items"),
    "factors": N_("Key factors"),
    "gaps": N_("Perception gap"),
    "trends": N_("Trends"),
    "problems": N_("Where the problems are"),
    "kpis": N_("KPIs"),
}

README_TITLE = N_("About these tables")
README_LINES = (
    N_("Scores follow the CIPS scoring rules: 0-100 scores, % favourable (agree or strongly "
       "agree) with 95% Wilson intervals, Don't know and Prefer not to answer excluded."),
    N_("Grey cells are suppressed: fewer than {k} respondents, or the complementary cell that "
       "would let a suppressed one be worked out from the total."),
    N_("Differences are in percentage points of % favourable, with 95% Newcombe intervals; "
       "significant when the interval excludes 0."),
)  # fmt: skip

YES = N_("yes")
NO = N_("no")

# Charts.
CHART_FACTORS_TITLE = N_("{survey}: key factors, {administration} {wave}")
CHART_GAP_TITLE = N_("Perception gap (officials minus private sector), {administration} {wave}")
CHART_TREND_TITLE = N_("{survey}: change from {earlier} to {wave}, {administration}")
CHART_FAVOURABLE = N_("Favourable (%) with 95% interval")
CHART_SCORE = N_("Score (0-100)")
CHART_DIFFERENCE = N_("Difference in favourable (percentage points) with 95% interval")
CHART_SUPPRESSED = N_("suppressed (n < {k})")

# Levels of the "where the problems are" table.
LEVELS = {"factor": N_("key factor"), "item": N_("item"), "group": N_("group")}
