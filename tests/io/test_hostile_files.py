"""Can a content or response file hang, exhaust or fool the reader? (Each of these was found
by a hostile probe: an alias bomb took 46 s and 4.1 GB, a FIFO hung validate, a link to
/dev/zero ended in MemoryError, a second ``title:`` silently won.)"""

from __future__ import annotations

import os
import time

import pytest

from arms_training.errors import ContentError
from arms_training.io.documents import MAX_DEPTH, read_document

BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
)


def _problem(path):
    started = time.monotonic()
    with pytest.raises(ContentError) as err:
        read_document(path)
    assert time.monotonic() - started < 2
    (problem,) = err.value.problems
    return problem


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert "anchors and aliases" in _problem(path).message


def test_even_one_alias_is_refused(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text("id: &x v01\nother: *x\n", encoding="utf-8")
    assert _problem(path).line == 1


def test_a_duplicate_key_names_the_key_and_both_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("id: x\ntitle: one\nfactors:\n  opportunity: 1\n  opportunity: 2\n", encoding="utf-8")
    problem = _problem(path)
    assert (problem.field, problem.line) == ("opportunity", 5)
    assert problem.message == "duplicate key (first on line 4)"


def test_a_merge_key_is_refused(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: {a: 1}\nother:\n  <<: {a: 2}\n", encoding="utf-8")
    assert "merge keys" in _problem(path).message


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_deep_nesting_is_an_error_not_a_traceback(tmp_path, suffix):
    path = tmp_path / f"deep{suffix}"
    depth = 100_000 if suffix == ".json" else MAX_DEPTH + 5
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    assert "nest" in _problem(path).message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_does_not_hang_the_reader(tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    assert _problem(path).message == "cannot read file: not a regular file"


def test_a_link_to_a_device_and_a_folder_named_like_a_file_are_refused(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    assert _problem(tmp_path / "zero.yaml").message == "cannot read file: not a regular file"
    (tmp_path / "folder.yaml").mkdir()
    assert _problem(tmp_path / "folder.yaml").message == "cannot read file: a folder"


def test_a_huge_file_is_refused_by_its_size(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:
        fh.truncate(5_000_000)
    assert "the limit is" in _problem(path).message


def test_what_dump_yaml_writes_reads_back_even_with_shared_objects(tmp_path):
    from arms_training.io.documents import dump_yaml

    shared = {"opportunity": 1}
    path = tmp_path / "shared.yaml"
    path.write_text(dump_yaml({"first": shared, "again": shared, "title": "Zoë"}), encoding="utf-8")
    data, _ = read_document(path)
    assert data == {"first": {"opportunity": 1}, "again": {"opportunity": 1}, "title": "Zoë"}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_deeply_nested_line_is_one_bad_record_named_by_file_and_line(tmp_path, workers):
    """It used to abort the whole import with a RecursionError that named no file."""
    from arms_training.calibration.demo_data import generate
    from arms_training.io.frames import load_frames

    good = [r.model_dump_json() for r in generate(2, 1, seed=5)[0]]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([good[0], "[" * 100_000 + "]" * 100_000, good[1]]) + "\n", encoding="utf-8")
    frames, problems = load_frames(path, workers=workers)
    assert len(frames) == 2
    assert [str(p) for p in problems] == [f"{path}:2: (file): malformed JSON: nested too deeply"]
