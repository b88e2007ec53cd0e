"""Does `arms-training validate` pass the shipped content and name each problem in broken copies?"""

from __future__ import annotations

import pytest

from arms_training.validation.validate import validate_paths
from tests.factories import copy_library, edit, run_cli

VIGNETTE = "vignettes/t01-fixture.yaml"
KEY = "answer_keys/t01-fixture.yaml"


@pytest.fixture
def lib(tmp_path):
    return copy_library(tmp_path)


def lines_of(lib):
    result = run_cli("validate", str(lib))
    return result.returncode, [ln for ln in result.stdout.splitlines() if ln.strip()], result


def test_shipped_content_is_clean():
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""
    assert "0 problems" in result.stderr and "8 vignettes" in result.stderr


def test_fixture_library_is_clean(lib):
    code, lines, _ = lines_of(lib)
    assert (code, lines) == (0, [])


def test_bad_usage_exits_2():
    assert run_cli("validate", "--no-such-flag").returncode == 2


def test_missing_path_is_a_problem(tmp_path):
    code, lines, _ = lines_of(tmp_path / "nowhere")
    assert code == 1 and lines == [f"{tmp_path / 'nowhere'}: (file): no such file or folder"]


@pytest.mark.parametrize(
    ("path", "old", "new", "expected"),
    [
        (
            KEY,
            "priorities: [opportunity]",
            "priorities: [loneliness]",
            "answer_keys/t01-fixture.yaml: priorities[0]: unknown factor 'loneliness'",
        ),
        (
            KEY,
            "  opportunity:\n    rating: 1",
            "  opportunity:\n    rating: 3",
            "factors.opportunity: rating 3 is not on the scale; allowed: 0, 1, 2, insufficient",
        ),
        (
            KEY,
            "- intervention: home_visits",
            "- intervention: house_arrest",
            "plan.essential[0].intervention: unknown intervention 'house_arrest'",
        ),
        (
            KEY,
            "  opportunity:\n    rating: 1\n    rationale: Rationale for opportunity.\n    evidence: [hv1]",
            "  opportunity:\n    rating: 1\n    rationale: Rationale for opportunity.\n    evidence: [hv9]",
            "factors.opportunity.evidence[0]: paragraph 'hv9' does not exist in vignette 't01-fixture'",
        ),
        (
            KEY,
            "risk_management_level: medium",
            "risk_management_level: low",
            "risk_management_level: 'low' differs from the matrix result 'medium'",
        ),
        (
            KEY,
            "  opportunity:\n    rating: 1",
            "  opportunity:\n    rating: 2",
            "factors.opportunity.rating: consensus 2 is not the panel's median (1 from [1, 1, 1])",
        ),
        (
            VIGNETTE,
            "static_tool: {name: OSP/C, category: medium}",
            "static_tool: {name: OSP/C, category: extreme}",
            "static_tool.category: unknown category 'extreme'; allowed: low, medium, high, very_high",
        ),
        (
            VIGNETTE,
            "framework: arms-2018",
            "framework: arms-1999",
            "framework: unknown framework 'arms-1999'",
        ),
    ],
)
def test_broken_copy_names_file_field_and_problem(lib, path, old, new, expected):
    edit(lib / path, old, new)
    code, lines, _ = lines_of(lib)
    assert code == 1
    assert any(expected in ln and ln.startswith(str(lib / path)) for ln in lines), lines


def test_override_rationale_allows_a_level_off_the_matrix(lib):
    edit(
        lib / KEY,
        "risk_management_level: medium\noverride_rationale: null",
        "risk_management_level: high\noverride_rationale: Recent escalation the tool cannot see.",
    )
    assert lines_of(lib)[:2] == (0, [])


def test_key_without_vignette_and_vignette_without_key(lib):
    (lib / VIGNETTE).rename(lib / "vignettes" / "t01-fixture.yml.off")
    code, lines, _ = lines_of(lib)
    assert code == 1 and any("vignette_id: no vignette with id 't01-fixture'" in ln for ln in lines)
    (lib / "vignettes" / "t01-fixture.yml.off").rename(lib / VIGNETTE)
    (lib / KEY).unlink()
    code, lines, _ = lines_of(lib)
    assert code == 1 and any("no answer key for vignette 't01-fixture'" in ln for ln in lines)


def test_one_bad_file_does_not_stop_the_others(lib):
    (lib / "vignettes" / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    (lib / "answer_keys" / "empty.yaml").write_bytes(b"")
    edit(lib / KEY, "priorities: [opportunity]", "priorities: [loneliness]")
    code, lines, result = lines_of(lib)
    assert code == 1
    assert any("broken.yaml" in ln and "malformed YAML" in ln for ln in lines)
    assert any("empty.yaml" in ln and "file is empty" in ln for ln in lines)
    assert any("unknown factor 'loneliness'" in ln for ln in lines)
    assert "Traceback" not in result.stdout + result.stderr


def test_planted_identifier_in_a_vignette_is_flagged(lib):
    edit(
        lib / VIGNETTE,
        "works nights at a warehouse.",
        "works nights at a warehouse; his mobile is 07700 900461.",
    )
    code, lines, _ = lines_of(lib)
    assert code == 1 and any("home_visit.hv1: possible phone number '07700 900461'" in ln for ln in lines)


def test_duplicate_vignette_ids_are_reported(lib):
    (lib / "vignettes" / "copy.yaml").write_text((lib / VIGNETTE).read_text(), encoding="utf-8")
    report = validate_paths([lib])
    assert any("duplicate id 't01-fixture'" in str(p) for p in report.problems)


def test_a_response_file_is_validated_against_framework_and_vignette(tmp_path):
    import json
    import uuid

    bad = {
        "schema_version": 1,
        "response_id": str(uuid.uuid4()),
        "trainee": {"id": "t1", "agency": "police"},
        "vignette_id": "t01-fixture",
        "vignette_version": 1,
        "framework": "arms-2018",
        "ratings": {"loneliness": 1},
        "started_at": "2026-01-01T10:00:00Z",
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    lib = copy_library(tmp_path)
    report = validate_paths([lib, path])
    assert any("ratings.loneliness: unknown factor 'loneliness'" in str(p) for p in report.problems)
