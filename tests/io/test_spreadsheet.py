"""Is exported text that a spreadsheet would run as a formula kept as text, and nothing else
changed? (OWASP "CSV injection")"""

from __future__ import annotations

import pandas as pd
import pytest

from arms_training.io.spreadsheet import safe_cell, safe_frame


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1+1", "@SUM(A1)", "\t=1", "\n=1"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_a_carriage_return_becomes_a_line_feed_so_the_writers_quote_it():
    assert safe_cell("\r=1") == "'\n=1"
    assert safe_cell("a\r\nb\rc") == "a\nb\nc"


@pytest.mark.parametrize("value", ["offender manager", "", 3, -0.25, None, 2.5])
def test_plain_text_and_numbers_are_left_alone(value):
    assert safe_cell(value) == value


def test_a_frame_guards_text_columns_and_names_but_keeps_numbers():
    frame = pd.DataFrame({"role": ["=HYPERLINK(1)", "sergeant"], "bias": [-0.5, 0.25], "=x": ["a", "b"]})
    out = safe_frame(frame)
    assert list(out["role"]) == ["'=HYPERLINK(1)", "sergeant"]
    assert list(out["bias"]) == [-0.5, 0.25] and out["bias"].dtype == float
    assert list(out.columns) == ["role", "bias", "'=x"]
    assert list(frame["role"]) == ["=HYPERLINK(1)", "sergeant"]  # the input is not changed


@pytest.mark.parametrize("text", ["\r=1+3", "abc\r=1+3", "abc\r\n=1+3", "\n=1+3", "x\n@SUM(A1)"])
def test_a_line_break_cannot_start_a_formula_in_a_new_row(text):
    """Written by the CSV writers the exports use and read back by a CSV parser, every cell is
    one cell and none starts with a formula character."""
    import csv
    import io

    frame = pd.DataFrame({"area": [text], "n": [1]})
    for written in (
        safe_frame(frame).to_csv(index=False),  # the calibration CSVs (pandas)
        _session_style_csv([[safe_cell(text), 1]]),  # the session CSV (csv module, CRLF)
    ):
        rows = list(csv.reader(io.StringIO(written, newline="")))
        cells = [c for row in rows[-1:] for c in row]
        assert len(rows) == (2 if written.startswith("area") else 1), rows
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells), cells


def _session_style_csv(rows):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()
