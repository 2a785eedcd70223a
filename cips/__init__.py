"""The `cips` command line, one front for every part of the product (bot, web, clock, data)."""
