"""How long labels fit the limits of SPSS and Stata files: one truncation rule, shown in the
codebook.

Stata holds a variable label of at most 80 characters; SPSS a variable label of at most 256
bytes and a value label of at most 120 bytes (UTF-8: an Arabic letter takes two). A longer label
is cut at the last word boundary that leaves room for an ellipsis ("…"), or within the word when
a single word is longer than the limit, and the ellipsis is added. pyreadstat would otherwise
cut bytes silently, sometimes inside a character; this way the file says what the codebook
says.
"""

from __future__ import annotations

ELLIPSIS = "…"
STATA_VARIABLE_LABEL_CHARS = 80
SPSS_VARIABLE_LABEL_BYTES = 256
SPSS_VALUE_LABEL_BYTES = 120


def _fits(text: str, max_chars: int | None, max_bytes: int | None) -> bool:
    return (max_chars is None or len(text) <= max_chars) and (
        max_bytes is None or len(text.encode("utf-8")) <= max_bytes
    )


def shorten(text: str, *, max_chars: int | None = None, max_bytes: int | None = None) -> str:
    """`text` as it is if it fits both limits, else cut at a word boundary with an ellipsis so
    that the result (ellipsis included) fits them."""
    if _fits(text, max_chars, max_bytes):
        return text
    # The longest prefix that leaves room for the ellipsis.
    end = len(text)
    while end and not _fits(text[:end] + ELLIPSIS, max_chars, max_bytes):
        end -= 1
    cut = text[:end]
    if end < len(text) and not text[end].isspace():
        # Back to the last space, unless the first word alone is longer than the limit.
        space = cut.rfind(" ")
        if space > 0:
            cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def stata_variable_label(text: str) -> str:
    """A variable label as a Stata file holds it (80 characters)."""
    return shorten(text, max_chars=STATA_VARIABLE_LABEL_CHARS)


def spss_variable_label(text: str) -> str:
    """A variable label as an SPSS file holds it (256 bytes)."""
    return shorten(text, max_bytes=SPSS_VARIABLE_LABEL_BYTES)


def spss_value_label(text: str) -> str:
    """A value label as an SPSS file holds it (120 bytes)."""
    return shorten(text, max_bytes=SPSS_VALUE_LABEL_BYTES)
