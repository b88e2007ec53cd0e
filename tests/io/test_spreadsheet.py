"""Is exported text that a spreadsheet would run as a formula kept as text, and nothing else
changed? (OWASP "CSV injection")"""

from __future__ import annotations

import pandas as pd
import pytest

from arms_training.io.spreadsheet import safe_cell, safe_frame


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


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
