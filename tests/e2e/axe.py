"""Accessibility checks with axe-core (the npm package, installed by scripts/test.sh into
tests/e2e/node_modules), injected into the page by Playwright.

UK public bodies must meet WCAG 2.2 AA: a page passes when axe finds no violation of impact
``critical`` or ``serious`` under the WCAG 2.0/2.1/2.2 A and AA rules and axe's best practices
(landmarks among them). Lesser findings are returned so a test or a person can read them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

__all__ = ["AXE_JS", "Violation", "axe_problem", "axe_violations", "assert_accessible"]

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("critical", "serious")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = "; ".join(self.targets[:4]) + (
            f" (+{len(self.targets) - 4} more)" if len(self.targets) > 4 else ""
        )
        return f"{self.impact} {self.rule}: {self.help} at {where}"


def axe_problem() -> str | None:
    """Why axe cannot run here, or None."""
    if AXE_JS.is_file():
        return None
    return f"{AXE_JS} is missing: run bash scripts/test.sh (it installs axe-core with npm)"


def axe_violations(page: Page, *, include: str | None = None) -> list[Violation]:
    """Every axe violation on the page as it is now (``include``: a CSS selector to limit it)."""
    problem = axe_problem()
    if problem is not None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI=true and {problem}", pytrace=False)
        pytest.skip(problem)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    context = json.dumps(include) if include else "document"
    result = page.evaluate(
        f"async () => await axe.run({context}, {{runOnly: {{type: 'tag', values: {json.dumps(TAGS)}}},"
        " resultTypes: ['violations']})"
    )
    return [
        Violation(
            v["id"], v.get("impact") or "", v["help"], tuple(", ".join(n["target"]) for n in v["nodes"])
        )
        for v in result["violations"]
    ]


def assert_accessible(page: Page, where: str, *, include: str | None = None) -> list[Violation]:
    """Fail naming every critical or serious violation on ``page``; return the lesser ones."""
    found = axe_violations(page, include=include)
    blocking = [v for v in found if v.impact in BLOCKING]
    assert not blocking, f"axe-core on {where}:\n" + "\n".join(f"  {v}" for v in blocking)
    return [v for v in found if v.impact not in BLOCKING]
