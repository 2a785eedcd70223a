"""Benchmarks across administrations without respondent data leaving any of them (issue 23).

An administration exports its wave's published aggregates as a signed file (`payload`,
`signing`, `files`); a benchmark host trusts its public key and imports it (`store`); the
benchmark is the distribution of those aggregates across administrations (`compute`), written
for the host's benchmark role (`output`) or, distributions only, published signed by the host
(`published`) for the administrations' country reports.
"""
