"""Every text of the country report (`analysis.report`), for gettext; `label()` renders one.

Where the results page says the same thing, the msgid is the same, so it is translated once.
Column headers come from `analysis.labels.COLUMNS`.
"""

from __future__ import annotations

from analysis.labels import MIXED_TREND  # noqa: F401  (the trend section's, as the workbook's)
from survey.factors import N_

TITLE = N_("Customs Integrity Perception Survey")
SUBTITLE = N_("{administration}: wave {wave}")
RELEASE = N_(
    "Results of the release of {date} (version {version}): the sealed responses of the wave's "
    "closed campaigns, published once."
)
PAGE = N_("Page {page} of {pages}")

RESPONSE_HEADING = N_("Who answered")
COMPLETED = N_("Completed")
MARGIN = N_("Margin of error (points)")
INDEX = N_("Overall integrity index")
MARGIN_NOTE = N_(
    "Margin of error: the widest 95% margin of a percentage of the completed responses, "
    "±1.96 × √(0.25 / n), in percentage points; a key factor's own interval is in the next table."
)
MARGIN_NOTE_WEIGHTED = N_(
    "Margin of error: the widest 95% margin of a percentage of the completed responses, "
    "±1.96 × √(0.25 / n), in percentage points, with n their effective sample size, since the "
    "figures are weighted; a key factor's own interval is in the next table."
)
HIDDEN = N_("Fewer than {k} responses: scores are hidden to protect anonymity.")
SUPPRESSED = N_("suppressed (n < {k})")

FACTORS_HEADING = N_("The ten key factors, ranked")
FACTORS_INTRO = N_(
    "Favourable: the share of answers that agree or strongly agree, with its 95% interval; the "
    "score runs from 0 (everyone strongly disagrees) to 100 (everyone strongly agrees). Highest "
    "first."
)
INTERVAL = N_("95% interval")

GAP_HEADING = N_("Officials and traders: the perception gap")
GAP_INTRO = N_(
    "Officials' favourable share minus the private sector's, per key factor, in percentage "
    "points: above 0, officials see the administration more favourably than traders do."
)
GAP_ONE_SURVEY = N_(
    "The gap compares officials and the private sector in the same wave; this wave has only one "
    "of the two surveys."
)
GAP_HIDDEN = N_("Fewer than {k} responses on one side: the gap is hidden to protect anonymity.")

TREND_HEADING = N_("Change since the previous wave")
TREND_SURVEY = N_("{survey}: {earlier} to {wave}")
NO_EARLIER = N_("{survey}: no earlier wave to compare with.")
CHANGED = N_("Changed significantly:")
UNCHANGED = N_("No key factor changed significantly.")
CHANGE = N_("{factor}: {difference} points (from {before}% to {after}% favourable)")

WEAKEST_HEADING = N_("The weakest statements")
WEAKEST_INTRO = N_("The statements with the lowest scores among the published figures.")
STATEMENT = N_("Statement")

CONSTRUCTS_HEADING = N_("Constructs")
CONSTRUCTS_INTRO = N_(
    "Statements from several key factors that together measure one idea, scored like a key factor."
)

METHOD_HEADING = N_("Method and suppression")
WEIGHTED = N_(
    "The figures are weighted: the completed responses were raked to the population margins set "
    "for this wave, so that each group counts as much as it does in the population. Intervals use "
    "the effective sample size; counts and suppression use the actual number of respondents."
)
METHOD = (
    N_("Respondents rated statements on a five-point scale from strongly disagree to strongly "
       "agree. Don't know and Prefer not to answer count in no score; statements worded the "
       "other way round are scored the other way round."),
    N_("Favourable is the share who agree or strongly agree; the score is the mean answer on a "
       "0-100 scale. A key factor's figures are the mean of its statements'."),
    N_("Intervals are 95%: Wilson for a percentage, Newcombe for a difference. A difference is "
       "significant, marked *, when its interval excludes 0; in the charts a significant "
       "difference is a filled dot, any other a hollow one."),
    N_("Every figure comes from the wave's release. A figure from fewer than {k} respondents is "
       "suppressed, and so is any other figure that would let it be worked out from a total."),
    N_("Responses are anonymous: they are kept apart from any way to reach the respondent, "
       "under random ids, and published only as the figures of this report."),
)  # fmt: skip
SIGNIFICANT = N_("* significant (the 95% interval excludes 0)")
