"""Every text the benchmark shows (web page, chart, country report section), for gettext;
`analysis.labels.label()` renders one."""

from __future__ import annotations

from survey.factors import N_

PAGE_TITLE = N_("Benchmark across administrations")
PAGE_INTRO = N_(
    "Each administration's published aggregates, compared: the median and quartiles across "
    "administrations (each counts once), overall and per region. A group is shown only with at "
    "least {minimum} administrations of at least {k} respondents each. No respondent-level data "
    "reaches this page."
)
NONE_YET = N_("No release takes part in the benchmark yet.")
PARTICIPANTS = N_("{count} administrations take part.")
ALL_ADMINISTRATIONS = N_("All administrations")
REGION = N_("Region")
MEASURE_SCORE = N_("Score (0-100)")
MEASURE_FAVOURABLE = N_("% favourable")
ADMINISTRATIONS = N_("Administrations")
LOWER_QUARTILE = N_("Lower quartile")
MEDIAN = N_("Median")
UPPER_QUARTILE = N_("Upper quartile")
WHY_SUPPRESSED = N_("{count} administrations with at least {k} respondents; {minimum} needed")
LEFT_OUT = N_("Left out: worded differently in the questionnaire versions taking part")
DOWNLOAD = N_("Download the benchmark")
CHART_TITLE = N_("{survey}: {measure} per key factor")
CHART_AXIS = N_("Each dot an administration; the line the median")
CHART_OTHERS = N_("Other administrations")
CHART_MEDIAN = N_("Median")
CHART_QUARTILES = N_("Middle half (quartiles)")

REPORT_HEADING = N_("Compared with {count} administrations of {region}")
REPORT_HEADING_ALL = N_("Compared with {count} administrations")
REPORT_INTRO = N_(
    "The benchmark published by {host} on {date}: for each key factor, the median and the middle "
    "half (quartiles) of the administrations' favourable shares, and this administration's own "
    "(the dot). Only the distribution is published, never another administration's figure."
)
REPORT_DIFFERENCE = N_("Difference from the median (points)")
