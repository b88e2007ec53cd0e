"""Can a trainee do the exercise in a real browser: start, work the stages, leave and come back,
submit, and read their feedback?"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .pages import ACTION_TIMEOUT, V01_RATINGS, ExercisePage
from .servers import RunningServer

pytestmark = pytest.mark.e2e

FIRST_HALF = dict(list(V01_RATINGS.items())[:5])
SECOND_HALF = dict(list(V01_RATINGS.items())[5:])


@pytest.fixture
def exercise(trainee: RunningServer, page: Page) -> ExercisePage:
    return ExercisePage(page, trainee.render_url("exercise.ipynb")).open()


def test_a_full_exercise_resumes_after_a_reload_and_ends_in_feedback(
    exercise: ExercisePage, results_dir: Path
) -> None:
    page = exercise.page
    exercise.start("amber-otter-3", "Police", "v01-new-partner", mode="full")
    stages = exercise.page.locator(".lm-Widget.arms-stage-bar button")
    expect(stages).to_have_count(6)  # v01 has a follow-up visit: the Review stage is there
    expect(exercise.cls("arms-case-file").first).to_contain_text("pol1")

    exercise.go("rate")
    for factor, value in FIRST_HALF.items():
        exercise.rate(factor, value)
    exercise.go("prioritise")  # a stage change saves the draft at once
    exercise.wait_saved()

    page.reload()
    exercise.wait_interactive()
    exercise.start("amber-otter-3", "Police", "v01-new-partner", mode="full")
    expect(exercise.message()).to_contain_text("Welcome back", timeout=ACTION_TIMEOUT)
    expect(exercise.cls("arms-panel-rate")).to_be_visible()  # resumes where work is missing
    for factor, value in FIRST_HALF.items():
        active = page.locator(f".lm-Widget.arms-rating-{factor} button.mod-active")
        expect(active).to_have_text(re.compile(rf"^\s*{value} "))
    for factor in SECOND_HALF:
        expect(page.locator(f".lm-Widget.arms-rating-{factor} button.mod-active")).to_have_count(0)

    for factor, value in SECOND_HALF.items():
        exercise.rate(factor, value)
    exercise.go("prioritise")
    exercise.prioritise(
        ["opportunity", "intimate_relationships", "poor_self_management", "emotional_congruence_children"],
        "Medium",
    )
    exercise.go("level")
    expect(exercise.cls("arms-level-result")).to_contain_text("Medium", timeout=ACTION_TIMEOUT)
    exercise.go("plan")
    exercise.add_action(
        "Restrictive: Disclosure to third parties",
        objective="Donna knows his offending before he is alone with the children",
        enforcement="Police plan it with children's services within four weeks",
        rationale="Protects the children; lets the relationship become protective",
    )
    exercise.add_action(
        "Constructive: Relapse prevention work",
        objective="A current plan for alcohol and contact with children",
        enforcement="Reviewed at each home visit",
        rationale="Builds on the Horizon programme he completed",
    )
    exercise.go("review")
    page.locator(".lm-Widget.arms-review-reveal").click()
    expect(exercise.cls("arms-follow-up")).to_be_visible(timeout=ACTION_TIMEOUT)
    exercise.toggle("arms-review-significant", "Yes")
    exercise.choose("arms-review-rating-opportunity", "2 present")
    exercise.choose("arms-review-rating-commitment_to_desist", "0 not present")
    exercise.choose("arms-review-level", "High")
    expect(exercise.cls("arms-missing")).to_contain_text("you can submit", timeout=ACTION_TIMEOUT)

    exercise.submit()
    total = exercise.cls("arms-feedback-total")
    expect(total).to_contain_text(re.compile(r"\d+(\.\d+)? / 100"))
    table = exercise.cls("arms-feedback-factors")
    expect(table.locator("tr")).to_have_count(12)  # a header and the 11 factors of ARMS 2018
    expect(table).to_contain_text("Opportunity")
    expect(exercise.cls("arms-feedback-follow-up")).to_be_visible()
    expect(exercise.message()).to_contain_text("Submitted")

    exercise.screenshot("arms-feedback", str(results_dir / "feedback-v01-full.png"))


def test_a_quick_exercise_needs_ratings_and_priorities_only(
    exercise: ExercisePage, results_dir: Path
) -> None:
    page = exercise.page
    exercise.start("grey-wren-9", "Probation", "v02-online-images", mode="quick")
    expect(page.locator(".lm-Widget.arms-stage-bar button")).to_have_count(3)

    exercise.cls("arms-submit").click()  # too early: the trainee is told what is missing
    expect(exercise.message()).to_contain_text("Not submitted yet", timeout=ACTION_TIMEOUT)
    expect(exercise.cls("arms-feedback-total")).to_have_count(0)

    exercise.go("rate")
    for factor, value in V01_RATINGS.items():
        exercise.rate(factor, value if factor != "sexual_preoccupation" else "insufficient")
    exercise.go("prioritise")
    exercise.prioritise(["sexual_preoccupation", "offence_related_sexual_interest"], "High")
    expect(exercise.cls("arms-missing")).to_contain_text("you can submit", timeout=ACTION_TIMEOUT)

    exercise.submit()
    expect(exercise.cls("arms-feedback-total")).to_contain_text("/ 100")
    expect(exercise.cls("arms-feedback-factors").locator("tr")).to_have_count(12)
    exercise.screenshot("arms-feedback", str(results_dir / "feedback-v02-quick.png"))


@pytest.mark.slow
def test_a_pre_heated_page_reads_its_own_link(pooled_trainee: RunningServer, page: Page) -> None:
    """With a pool the notebook runs before the request: the page must still see the link it
    was opened with (Voila hands the query string over when the request arrives)."""
    for vignette in ("v02-online-images", "v01-new-partner"):
        ex = ExercisePage(page, pooled_trainee.render_url("exercise.ipynb"))
        ex.open(f"?vignette={vignette}")
        expect(ex.cls(f"arms-card-{vignette}")).to_have_class(
            re.compile(r"\barms-card-selected\b"), timeout=ACTION_TIMEOUT
        )
