"""A campaign's live figures for coordinators: read from counters, suppressed before anyone sees
them.

`campaign_dashboard` returns a `Dashboard` (typed, frozen) that the web page, its CSV and XLSX
downloads and the JSON API (`Dashboard.as_json`) all show:

- totals: started (consented), in progress, completed, withdrawn, completion rate, and the
  response rate against the target population;
- precision: the margin of error the completed responses give (95%, worst case p = 0.5, with the
  finite population correction when the target population is known) against the target margin,
  and how many completed responses the target margin needs;
- per day: responses started and completed each day;
- the dropout funnel: per question, in the order asked, how many got at least that far and how
  many left off there (still in progress there, or withdrew there);
- by language and by source tag: started, completed, completion rate;
- by channel (chat, Mini App, web link, access code: survey.channels): started, in progress,
  withdrew, completed, completion rate;
- reminders: sent per day and answered again within 24 h (None before the first reminder).

The modules, one job each: `counters` reads the counters the figures come from (never a scan of
the responses), `breakdowns` suppresses every breakdown by the one rule of survey.suppression,
`rates` computes the percentages and the precision, `figures` holds the typed results and their
JSON shape, and `build` puts them together.
"""

from survey.dashboard.breakdowns import days_grouped, funnel
from survey.dashboard.build import campaign_dashboard
from survey.dashboard.figures import (
    CampaignInfo,
    Dashboard,
    DayRow,
    FunnelRow,
    GroupRow,
    Precision,
    ReminderDay,
    ReminderFigures,
    Totals,
)
from survey.dashboard.rates import margin_of_error, responses_needed

__all__ = [
    "CampaignInfo",
    "Dashboard",
    "DayRow",
    "FunnelRow",
    "GroupRow",
    "Precision",
    "ReminderDay",
    "ReminderFigures",
    "Totals",
    "campaign_dashboard",
    "days_grouped",
    "funnel",
    "margin_of_error",
    "responses_needed",
]
