"""Do the shipped frameworks load, and does a broken framework say exactly what is wrong?"""

from __future__ import annotations

import shutil

import pytest

from arms_training.errors import ContentError
from arms_training.framework import FRAMEWORK_DIR, INSUFFICIENT, framework_by_id, load_framework
from tests.factories import edit


def test_current_framework_has_six_risk_and_five_protective_factors():
    fw = load_framework(FRAMEWORK_DIR / "arms-2018.yaml")
    assert [f.id for f in fw.risk_factors] == [
        "opportunity",
        "sexual_preoccupation",
        "offence_related_sexual_interest",
        "emotional_congruence_children",
        "hostile_orientation",
        "poor_self_management",
    ]
    assert [f.id for f in fw.protective_factors] == [
        "social_influences",
        "commitment_to_desist",
        "intimate_relationships",
        "employment_positive_routine",
        "social_investment",
    ]
    assert all(f.indicators and f.description for f in fw.factors)


def test_earlier_variant_loads_with_social_influences_on_the_risk_side():
    fw = load_framework(FRAMEWORK_DIR / "arms-2015.yaml")
    assert (len(fw.risk_factors), len(fw.protective_factors)) == (7, 4)
    assert fw.factor("social_influences").kind == "risk"


@pytest.mark.parametrize(
    ("static", "priority", "level"),
    [
        ("low", "low", "low"),
        ("low", "high", "medium"),
        ("medium", "medium", "medium"),
        ("medium", "high", "high"),
        ("high", "low", "medium"),
        ("very_high", "low", "high"),
        ("very_high", "high", "very_high"),
    ],
)
def test_level_matrix_matches_the_domain_brief(static, priority, level):
    assert framework_by_id("arms-2018").level_for(static, priority) == level


def test_visit_frequency_and_scale_are_data():
    fw = framework_by_id("arms-2018")
    assert {k: v.months for k, v in fw.visit_frequency.items()} == {
        "low": 12,
        "medium": 6,
        "high": 3,
        "very_high": 1,
    }
    assert fw.scale_values == (0, 1, 2)
    assert fw.is_valid_rating(INSUFFICIENT) and not fw.is_valid_rating(3)
    assert not fw.is_valid_rating(True), "a YAML yes must not pass as a rating of 1"


def test_project_defaults_are_flagged_for_the_ui():
    fw = framework_by_id("arms-2018")
    for section in ("rating_scale", "level_matrix", "visit_frequency", "plan_rubric"):
        assert fw.project_defaults[section]


def test_catalogue_has_restrictive_and_constructive_interventions_linked_to_factors():
    fw = framework_by_id("arms-2018")
    kinds = {i.kind for i in fw.interventions}
    assert {"restrictive", "constructive"} <= kinds
    assert fw.intervention("computer_monitoring").factors
    assert fw.glossary and all(g.police and g.probation for g in fw.glossary)


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "arms-2018.yaml"
    shutil.copy(FRAMEWORK_DIR / "arms-2018.yaml", path)
    return path


def test_unknown_level_in_matrix_is_named(broken):
    edit(
        broken,
        "medium: {low: low, medium: medium, high: high}",
        "medium: {low: low, medium: medium, high: severe}",
    )
    with pytest.raises(ContentError, match=r"level_matrix.medium.high: unknown level 'severe'"):
        load_framework(broken)


def test_duplicate_factor_id_is_named(broken):
    edit(broken, "  - id: sexual_preoccupation\n", "  - id: opportunity\n")
    with pytest.raises(ContentError, match="duplicate id opportunity"):
        load_framework(broken)


def test_wrong_kind_names_field_line_and_allowed_values(broken):
    edit(broken, "    kind: risk\n", "    kind: danger\n")
    with pytest.raises(ContentError) as err:
        load_framework(broken)
    problem = err.value.problems[0]
    assert problem.field == "factors[0].kind"
    expected_line = 1 + broken.read_text().splitlines().index("    kind: danger")
    assert problem.line == expected_line
    assert "'risk' or 'protective'" in problem.message and "danger" in problem.message


def test_plan_shares_must_add_up(broken):
    edit(broken, "essential_covered: 0.40", "essential_covered: 0.90")
    with pytest.raises(ContentError, match="plan shares must add up to 1"):
        load_framework(broken)


def test_priority_shares_must_add_up(broken):
    edit(broken, "    factors: 0.75\n", "    factors: 0.95\n")
    with pytest.raises(ContentError, match="priorities shares must add up to 1, got 1.2"):
        load_framework(broken)


def test_intervention_serving_unknown_factor_is_named(broken):
    edit(broken, "factors: [opportunity, poor_self_management]\n", "factors: [opportunity, loneliness]\n")
    with pytest.raises(ContentError, match=r"interventions\[0\].factors: unknown factor 'loneliness'"):
        load_framework(broken)
