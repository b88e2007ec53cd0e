"""Does the document reader say which file, field and line is wrong, and what is allowed?"""

from __future__ import annotations

import pytest

from arms_training.content import CastMember
from arms_training.errors import ContentError
from arms_training.io.documents import field_path, parse_model, read_document


def test_a_yaml_file_gives_its_data_and_the_line_of_every_field(tmp_path):
    path = tmp_path / "cast.yaml"
    path.write_text("name: Alex Brennan\nkind: person\nrole: the man managed\n", encoding="utf-8")
    data, lines = read_document(path)
    assert data == {"name": "Alex Brennan", "kind": "person", "role": "the man managed"}
    assert lines[("kind",)] == 2 and lines[("role",)] == 3


def test_an_unknown_field_names_the_line_and_the_fields_allowed(tmp_path):
    path = tmp_path / "cast.yaml"
    path.write_text("name: Alex\nrole: x\n\nage: 40\n", encoding="utf-8")
    data, lines = read_document(path)
    with pytest.raises(ContentError) as err:
        parse_model(CastMember, data, path, lines)
    (problem,) = err.value.problems
    assert (problem.field, problem.line) == ("age", 4)
    assert problem.message.startswith("unknown field; allowed: ") and "role" in problem.message
    assert str(problem) == f"{path}: age (line 4): {problem.message}"


def test_a_wrong_value_says_what_it_got(tmp_path):
    with pytest.raises(ContentError) as err:
        parse_model(CastMember, {"name": "Al", "kind": "dog"}, "inline")
    assert str(err.value) == "inline: kind: Input should be 'person', 'place' or 'organisation' (got 'dog')"


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (b"id: [unclosed\n", "malformed YAML", 2),
        (b"", "file is empty", None),
        (b"id: c1\nname: \xff\n", "not UTF-8: byte 0xff", 2),
    ],
)
def test_unreadable_files_are_one_problem_with_a_reason(tmp_path, content, message, line):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ContentError) as err:
        read_document(path)
    (problem,) = err.value.problems
    assert message in problem.message and problem.line == line and problem.path == str(path)


def test_json_is_read_as_json_and_a_missing_file_says_so(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"a": [1, 2]}', encoding="utf-8")
    assert read_document(path) == ({"a": [1, 2]}, {})
    with pytest.raises(ContentError, match="cannot read file"):
        read_document(tmp_path / "missing.yaml")


def test_a_top_level_list_is_refused_with_what_was_expected():
    with pytest.raises(ContentError, match="expected a mapping of fields at the top, got list"):
        parse_model(CastMember, [1, 2], "x.yaml")


def test_field_paths_read_like_the_file():
    assert field_path(("sections", 0, "paragraphs", 2, "id")) == "sections[0].paragraphs[2].id"
