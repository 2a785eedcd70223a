"""Running `cips` in the test process, with the settings re-read from the environment."""

from __future__ import annotations

from click.testing import CliRunner, Result

from cips.cli import context, main


def run_cips(*args: str, ok: bool = True) -> Result:
    """Run `cips ARGS...` in this process and check whether it succeeded."""
    context.settings.cache_clear()
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result
