"""pandas scoring of CIPS responses (SCORING.md): load, score, compare, suppress, publish."""
