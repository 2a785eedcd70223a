"""pandas scoring of CIPS responses, following SCORING.md: load, score, compare, suppress, publish.

The public API, for `cips analyze`, the web back end and notebooks:

    >>> import analysis
    >>> data = analysis.load_files(["officials-2024.csv", "officials-2026.xlsx"])
    >>> # or, from the database: analysis.load_database(session, administration="BF")
    >>> results = analysis.analyze(data, min_cell=10, language="fr")
    >>> results.factors.query("group_var == ''")        # one DataFrame per result table
    >>> analysis.write_results(results, "out", "xlsx")
    >>> analysis.write_charts(results, "out/charts")

Each table also has its own function taking a `Dataset` (`items_table`, `factors_table`), or the
published item and factor tables (`gaps_table`, `trends_table`, `problems_table`, `kpis_table`).
"""

from analysis.charts import factor_chart, gap_chart, trend_chart, write_charts
from analysis.comparisons import gaps_table, trends_table
from analysis.database import export_campaign, load_database
from analysis.frames import AnalysisError, Dataset, ResponseSet, build_response_set
from analysis.importing import import_file
from analysis.interchange import read_raw
from analysis.loading import load_files
from analysis.output import write_results
from analysis.reports import Kpi, kpis_table, problems_table
from analysis.results import Results, analyze
from analysis.synthetic import generate_wave
from analysis.tables import factors_table, items_table
from analysis.validation import InvalidFile, validate

__all__ = [
    "AnalysisError",
    "Dataset",
    "InvalidFile",
    "Kpi",
    "ResponseSet",
    "Results",
    "analyze",
    "build_response_set",
    "export_campaign",
    "factor_chart",
    "factors_table",
    "gap_chart",
    "gaps_table",
    "generate_wave",
    "import_file",
    "items_table",
    "kpis_table",
    "load_database",
    "load_files",
    "problems_table",
    "read_raw",
    "trend_chart",
    "trends_table",
    "validate",
    "write_charts",
    "write_results",
]
