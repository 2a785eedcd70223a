"""The 10 key factors of the Revised Arusha Declaration (2003), against which CIPS items score."""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogs; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class KeyFactor:
    number: int
    name: str


KEY_FACTORS: tuple[KeyFactor, ...] = (
    KeyFactor(1, N_("Leadership and Commitment")),
    KeyFactor(2, N_("Regulatory Framework")),
    KeyFactor(3, N_("Transparency")),
    KeyFactor(4, N_("Automation")),
    KeyFactor(5, N_("Reform and Modernization")),
    KeyFactor(6, N_("Audit and Investigation")),
    KeyFactor(7, N_("Code of Conduct")),
    KeyFactor(8, N_("Human Resource Management")),
    KeyFactor(9, N_("Morale and Organizational Culture")),
    KeyFactor(10, N_("Relationship with the Private Sector")),
)

FACTOR_BY_NUMBER: dict[int, KeyFactor] = {f.number: f for f in KEY_FACTORS}
