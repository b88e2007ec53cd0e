"""Does the accessibility check find what it should? (So a clean result on the apps means
something.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .axe import assert_accessible, axe_violations

pytestmark = pytest.mark.e2e

BAD = """<!doctype html><html><head><title>t</title></head><body>
<img src="data:image/png;base64,iVBORw0KGgo=">
<p style="color:#999;background:#fff">grey on white</p>
<select><option>no label</option></select></body></html>"""
GOOD = """<!doctype html><html lang="en"><head><title>Fine</title></head><body>
<main><h1>Fine</h1><img alt="A chart of nothing" src="data:image/png;base64,iVBORw0KGgo=">
<label for="s">Agency</label><select id="s"><option>police</option></select></main></body></html>"""


def test_axe_reports_a_missing_alt_poor_contrast_and_an_unlabelled_select(page: Page) -> None:
    page.set_content(BAD)
    found = {v.rule: v for v in axe_violations(page)}
    assert {"image-alt", "color-contrast", "select-name"} <= set(found)
    assert found["image-alt"].impact == "critical"
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page, "the bad page")


def test_a_plain_accessible_page_passes(page: Page) -> None:
    page.set_content(GOOD)
    assert_accessible(page, "the good page")
