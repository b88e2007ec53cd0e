"""Does the fast loader behind ``arms-training calibrate`` (raw JSONL bytes validated in
pydantic-core, fields pulled into frames as each record arrives, pieces in worker processes)
give exactly what full validation gives: the same frames and the same bad-record lines?"""

from __future__ import annotations

import copy
import json
import random

import pandas as pd
import pytest

import arms_training.io.frames as cf
from arms_training.calibration.demo_data import generate
from arms_training.calibration.result import load_frames, load_responses, responses_frame
from arms_training.content import load_library
from arms_training.errors import ContentError
from arms_training.framework import INSUFFICIENT
from arms_training.responses import MAX_TEXT, Response, parse_response

LIB = load_library()
FRAME_NAMES = (
    "responses",
    "ratings",
    "insufficient",
    "follow_up_ratings",
    "follow_up_insufficient",
    "priorities",
    "actions",
    "action_factors",
)


def _reference(path):
    """Full validation, the slow way: each line of the text (a byte-order mark at the start of
    the file dropped, bytes that are not UTF-8 replaced, surrounding white space dropped, blank
    lines skipped) through json.loads and responses.parse_response, then responses_frame."""
    good, problems = [], []
    with path.open(encoding="utf-8-sig", errors="replace", newline="\n") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            source = f"{path}:{lineno}"
            try:
                good.append(parse_response(json.loads(line), source))
            except json.JSONDecodeError as exc:
                problems.append(f"{source}: (file): malformed JSON: {exc.msg}")
            except ContentError as exc:
                problems.extend(str(p) for p in exc.problems)
    return responses_frame(good), problems, good


def _assert_same_frames(got, want):
    for name in FRAME_NAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, obj=name)


def _lines(n: int, seed: int) -> list[bytes]:
    """Good records with the variety real ones have, and deliberately bad ones among them."""
    rng = random.Random(seed)
    responses, _ = generate(max(1, n // 8), 8, seed=seed, library=LIB)
    records = [r.to_json_dict() for r in responses[:n]]
    for d in records:
        if rng.random() < 0.2:
            d["ratings"].pop(rng.choice(list(d["ratings"]) or ["x"]), None)
        if rng.random() < 0.2 and d["ratings"]:
            d["ratings"][rng.choice(list(d["ratings"]))] = INSUFFICIENT
        if rng.random() < 0.1:
            d["priorities"] = d["priorities"] + d["priorities"][:2]  # repeats
        if rng.random() < 0.1:
            d["submitted_at"] = None
        if rng.random() < 0.1:
            d["started_at"] = "2025-03-01T10:00:00+05:30"
        if rng.random() < 0.1:
            d["override_rationale"] = rng.choice(["", "   ", "new intelligence"])
        if rng.random() < 0.1:
            d["follow_up"] = {
                "significant_change": rng.choice([True, False, None]),
                "ratings": {"opportunity": rng.choice([0, 2, INSUFFICIENT])},
                "risk_management_level": rng.choice([None, "high"]),
            }
        for a in d["plan"]:
            if rng.random() < 0.2:
                a["objective"] = rng.choice(["", " \t", "\u3000"])
            if rng.random() < 0.2:
                a["review_weeks"] = None
    lines = [json.dumps(d).encode() for d in records]
    base = copy.deepcopy(records[0])

    def bad(**change) -> bytes:
        d = copy.deepcopy(base) | change
        return json.dumps({k: v for k, v in d.items() if v is not _DROP}).encode()

    broken = [
        b"{oops",
        b"",  # blank line
        b"   \t",
        "\u3000".encode(),  # a line of Unicode white space only
        b"\xef\xbb\xbf" + lines[0],  # byte order mark
        lines[1][:-1] + b"\xff}",  # not UTF-8
        lines[2].replace(b'"', b'"\xc3', 1),
        bad(ratings=base["ratings"] | {"opportunity": True}),
        bad(ratings=base["ratings"] | {"opportunity": 1.0}),
        bad(ratings=base["ratings"] | {"opportunity": "2"}),
        bad(ratings=base["ratings"] | {"opportunity": "Insufficient"}),
        bad(ratings=base["ratings"] | {"opportunity": None}),
        bad(surprise=1),
        bad(response_id=_DROP),
        bad(response_id="not-a-uuid"),
        bad(started_at="yesterday"),
        bad(trainee=base["trainee"] | {"agency": "army"}),
        bad(notes={"opportunity": "x" * (MAX_TEXT + 1)}),
        bad(plan=[{"intervention": "x", "review_weeks": 0}]),
        bad(follow_up={"ratings": {"opportunity": False}}),
        b"[1, 2]",
        b"null",
    ]
    for line in broken:
        lines.insert(rng.randrange(len(lines) + 1), line)
    return lines


_DROP = object()


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_fast_load_equals_full_validation(tmp_path, monkeypatch, workers, ending):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(ending.join(_lines(80, seed=3)) + ending)
    monkeypatch.setattr(cf, "PARALLEL_MIN_BYTES", 0)
    want, want_problems, objects = _reference(path)
    assert len(want_problems) >= 15 and len(want) >= 70

    frames, problems = load_frames(path, workers=workers)
    assert [str(p) for p in problems] == want_problems
    _assert_same_frames(frames, want)
    assert [frames.objects[i] for i in range(len(frames))] == objects

    good, problems = load_responses(path)
    assert [str(p) for p in problems] == want_problems
    assert good == objects


def test_pieces_number_lines_as_the_whole_file(tmp_path, monkeypatch):
    """Workers count lines from the start of their piece; bad records deep in the file still
    name their line in the file, with the response id, and each frame row knows its line."""
    lines = _lines(200, seed=4)
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(cf, "PARALLEL_MIN_BYTES", 0)
    frames, problems = load_frames(path, workers=3)
    _, want, objects = _reference(path)
    assert [str(p) for p in problems] == want
    assert any("(response " in p for p in want)
    assert [Response.model_validate_json(lines[n - 1]) for n in frames.objects.lines] == objects


def test_responses_frame_of_nothing_and_of_sparse_records():
    empty = responses_frame([])
    assert len(empty) == 0 and list(empty.ratings.columns) == []
    responses, _ = generate(2, 8, seed=1, library=LIB)
    planned = next(r for r in responses if len(r.plan) >= 2)
    bare = responses[0].model_copy(update={"ratings": {}, "priorities": [], "plan": [], "follow_up": None})
    frames = responses_frame([bare, planned])
    assert frames.ratings.iloc[0].isna().all() and not frames.insufficient.iloc[0].any()
    assert set(frames.actions["row"]) == {1}
    assert list(frames.actions["position"]) == list(range(len(planned.plan)))
    assert list(frames.actions["intervention"]) == [a.intervention for a in planned.plan]
