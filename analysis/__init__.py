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

from __future__ import annotations

import importlib

# The public names and the module each lives in. They are imported on first use, so that
# `import analysis.labels` (the CLI does) pulls in neither pandas nor matplotlib.
_EXPORTS = {
    "AnalysisError": "analysis.frames",
    "Dataset": "analysis.frames",
    "InvalidFile": "analysis.validation",
    "Kpi": "analysis.reports",
    "ResponseSet": "analysis.frames",
    "Results": "analysis.results",
    "analyze": "analysis.results",
    "build_response_set": "analysis.frames",
    "export_campaign": "analysis.database",
    "factor_chart": "analysis.charts",
    "factors_table": "analysis.tables",
    "gap_chart": "analysis.charts",
    "gaps_table": "analysis.comparisons",
    "generate_wave": "analysis.synthetic",
    "import_file": "analysis.importing",
    "items_table": "analysis.tables",
    "kpis_table": "analysis.reports",
    "load_database": "analysis.database",
    "load_files": "analysis.loading",
    "problems_table": "analysis.reports",
    "read_raw": "analysis.interchange",
    "trend_chart": "analysis.charts",
    "trends_table": "analysis.comparisons",
    "validate": "analysis.validation",
    "write_charts": "analysis.charts",
    "write_results": "analysis.output",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return __all__
