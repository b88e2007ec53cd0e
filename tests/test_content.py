"""Do the vignette and answer-key loaders accept good files and name every problem in bad ones?"""

from __future__ import annotations

import pytest

from arms_training.content import load_key, load_library, load_vignette, panel_consensus
from arms_training.errors import ContentError
from tests.factories import FIXTURE_LIBRARY, copy_library, edit

VIGNETTE = "vignettes/t01-fixture.yaml"
KEY = "answer_keys/t01-fixture.yaml"


@pytest.fixture
def lib(tmp_path):
    return copy_library(tmp_path)


def line_of(path, text):
    return 1 + path.read_text(encoding="utf-8").splitlines().index(text)


def problems(loader, path):
    with pytest.raises(ContentError) as err:
        loader(path)
    return err.value.problems


def test_fixture_loads():
    v = load_vignette(FIXTURE_LIBRARY / VIGNETTE)
    key = load_key(FIXTURE_LIBRARY / KEY)
    assert v.paragraph_ids() == ["hv1", "hv2", "pol1", "fu1"]
    assert v.paragraph_ids(include_follow_up=False) == ["hv1", "hv2", "pol1"]
    assert key.ratings["opportunity"] == 1 and key.follow_up.significant_change


def test_malformed_yaml_names_the_line(lib):
    path = lib / VIGNETTE
    edit(path, "title: Test fixture case", "title: [unclosed")
    (p,) = problems(load_vignette, path)
    assert p.path == str(path) and "malformed YAML" in p.message and p.line == 5


def test_missing_field(lib):
    edit(lib / VIGNETTE, "difficulty: introductory\n", "")
    (p,) = problems(load_vignette, lib / VIGNETTE)
    assert (p.field, p.message) == ("difficulty", "missing required field")


def test_unknown_field_lists_what_is_allowed(lib):
    edit(lib / VIGNETTE, "mappa_level: 1", "mappa_level: 1\nmapa_levl: 2")
    (p,) = problems(load_vignette, lib / VIGNETTE)
    assert p.field == "mapa_levl" and "unknown field" in p.message
    assert "mappa_level" in p.message and "lead_agency" in p.message


def test_wrong_type_gives_value_and_allowed(lib):
    edit(lib / VIGNETTE, "lead_agency: police", "lead_agency: nca")
    (p,) = problems(load_vignette, lib / VIGNETTE)
    assert p.field == "lead_agency" and "'police' or 'probation'" in p.message and "'nca'" in p.message
    assert p.line == line_of(lib / VIGNETTE, "lead_agency: nca")


def test_rating_must_be_integer_or_insufficient(lib):
    edit(lib / KEY, "  opportunity:\n    rating: 1", "  opportunity:\n    rating: high")
    ps = problems(load_key, lib / KEY)
    assert [p.field for p in ps] == ["factors.opportunity.rating"]
    assert "insufficient" in ps[0].message and "'high'" in ps[0].message


def test_yes_is_not_a_rating(lib):
    edit(lib / KEY, "  opportunity:\n    rating: 1", "  opportunity:\n    rating: yes")
    (p,) = problems(load_key, lib / KEY)
    assert p.field == "factors.opportunity.rating"


def test_duplicate_paragraph_id(lib):
    edit(lib / VIGNETTE, "- id: hv2", "- id: hv1")
    (p,) = problems(load_vignette, lib / VIGNETTE)
    assert "duplicate paragraph id 'hv1'" in p.message


def test_not_utf8(lib):
    path = lib / VIGNETTE
    path.write_bytes(path.read_bytes().replace(b"Test fixture", b"Test fixt\xe9re"))
    (p,) = problems(load_vignette, path)
    assert "not UTF-8" in p.message and "0xe9" in p.message
    assert p.line == line_of(FIXTURE_LIBRARY / VIGNETTE, "title: Test fixture case")


def test_empty_file(lib):
    (lib / KEY).write_text("  \n", encoding="utf-8")
    (p,) = problems(load_key, lib / KEY)
    assert p.message == "file is empty"


def test_top_level_must_be_a_mapping(lib):
    (lib / KEY).write_text("- just\n- a list\n", encoding="utf-8")
    (p,) = problems(load_key, lib / KEY)
    assert "expected a mapping" in p.message


def test_every_problem_in_a_file_is_reported(lib):
    edit(lib / VIGNETTE, "difficulty: introductory", "difficulty: fiendish")
    edit(lib / VIGNETTE, "estimated_minutes: 10", "estimated_minutes: ten")
    assert {p.field for p in problems(load_vignette, lib / VIGNETTE)} == {"difficulty", "estimated_minutes"}


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ([0, 1, 1], 1),
        ([0, 1, 2], 1),
        ([2, 2, 1], 2),
        ([0, 1], 0),
        (["insufficient", "insufficient", 1], "insufficient"),
        (["insufficient", 1, 2], 1),
        ([], None),
    ],
)
def test_panel_consensus_is_the_median_unless_most_say_insufficient(votes, expected):
    assert panel_consensus(votes) == expected


def test_a_link_out_of_the_content_folder_is_not_followed(tmp_path):
    lib = copy_library(tmp_path)
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((lib / "vignettes" / "t01-fixture.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (lib / "vignettes" / "t01-fixture.yaml").unlink()
    (lib / "vignettes" / "t01-fixture.yaml").symlink_to(outside)
    library = load_library(lib)
    assert "t01-fixture" not in library.vignettes
    assert any("links outside" in p.message for p in library.problems)
