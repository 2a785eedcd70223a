"""`python -m cips`: the same as the `cips` command."""

from cips.cli import main

main()
