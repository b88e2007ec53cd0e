"""Guard exported cells against spreadsheet formula injection: one function for every CSV and
XLSX cell the project writes.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed is
run as a formula by Excel and LibreOffice when the file is opened (OWASP "CSV injection"); a
leading apostrophe makes it text. A carriage return anywhere is turned into a line feed first:
CSV writers quote a field that holds their line terminator, but a bare CR is not one of them,
so ``abc\\r=1+3`` was written unquoted, a spreadsheet started a new row at the CR and ``=1+3``
ran. Only text is touched: numbers (including negative ones) stay numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "safe_cell", "safe_frame"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will read it as text.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell("note\\r=1+3")
    'note\\n=1+3'
    >>> safe_cell(-0.25)
    -0.25
    """
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name passed through
    :func:`safe_cell`; numeric columns are left alone."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("string", "str"):
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out
