"""Is the "server is full" page a trainee gets beyond the kernel limits accessible (axe-core),
usable by keyboard, and readable at the widths trainees use?"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from arms_training.serving.limits import Refusal, full_page

from .axe import assert_accessible

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("reason", ["server", "client"])
def test_the_full_page_is_accessible_and_its_link_takes_the_keyboard(page: Page, results_dir: Path, reason):
    page.set_content(
        full_page(Refusal(reason, 40 if reason == "server" else 8), "/voila/render/exercise.ipynb")
    )
    assert_accessible(page, f"the '{reason} full' page")
    page.keyboard.press("Tab")
    link = page.get_by_role("link", name="Try again")
    expect(link).to_be_focused()
    outline = link.evaluate("a => getComputedStyle(a).backgroundColor")
    assert outline == "rgb(255, 221, 0)"  # the GOV.UK focus colour
    for width, height in ((1366, 768), (1920, 1080), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(results_dir / f"full-page-{reason}-{width}.png"))
