"""Does demo-data write plausible, valid, reproducible responses whose tendencies are declared
and show in the scores?"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from arms_training.calibration.demo_data import (
    BAD_TENDENCIES,
    demo_records,
    generate,
    make_assessors,
    manifest_path,
    tendency_of,
    write_demo,
)
from arms_training.content import load_library
from arms_training.framework import framework_by_id
from arms_training.io.frames import load_responses
from arms_training.scoring.rules import score
from arms_training.validation.checks import check_response

LIB = load_library()
FW = framework_by_id("arms-2018")


@pytest.fixture(scope="module")
def cohort():
    return generate(20, 8, seed=4, library=LIB)


def test_same_seed_same_records_other_seed_different():
    a = list(demo_records(6, 3, seed=1, library=LIB))
    b = list(demo_records(6, 3, seed=1, library=LIB))
    c = list(demo_records(6, 3, seed=2, library=LIB))
    assert a == b and a != c


def test_assessor_mix():
    assessors = make_assessors(40, seed=0)
    counts = Counter(a.tendency for a in assessors)
    assert counts == {"accurate": 22, "over_rates_risk": 6, "under_credits_protective": 6, "careless": 6}
    assert {a.agency for a in assessors} == {"police", "probation"}
    assert len({a.id for a in assessors}) == 40
    assert {a.tendency for a in make_assessors(3, seed=0)} == {"accurate"}
    with pytest.raises(ValueError, match="at least 1"):
        make_assessors(0)


def test_every_record_is_valid_and_scores(cohort):
    responses, _ = cohort
    assert len(responses) == 160
    for r in responses:
        v, key = LIB.vignettes[r.vignette_id], LIB.keys[r.vignette_id]
        assert check_response(r, FW, v, "demo") == []
        score(r, key, FW, vignette=v)  # raises ScoringError if anything does not fit


def test_records_are_full_exercises_spread_over_time_places_and_sessions(cohort):
    responses, _ = cohort
    full = [r for r in responses if r.mode == "full"]
    assert 0.8 < len(full) / len(responses) < 1.0  # some quick-mode responses too
    assert all(r.plan and r.risk_management_level and r.priority_level for r in full)
    with_fu = [r for r in full if LIB.vignettes[r.vignette_id].follow_up is not None]
    assert with_fu and all(r.follow_up is not None for r in with_fu)
    months = {r.submitted_at.strftime("%Y-%m") for r in responses}
    assert len(months) >= 10
    assert all(r.submitted_at > r.started_at for r in responses)
    assert len({r.trainee.area for r in responses}) >= 3
    assert len({r.session_code for r in responses}) >= 10
    assert {r.vignette_id for r in responses} == set(LIB.keys)


def test_tendency_is_encoded_in_the_role_and_shows_in_the_scores(cohort):
    responses, assessors = cohort
    declared = {a.id: a.tendency for a in assessors}
    for r in responses:
        assert tendency_of(r.trainee.role) == declared[r.trainee.id]
    assert tendency_of("probation officer") is None
    bias: dict[str, list[float]] = {}
    for r in responses:
        d = score(r, LIB.keys[r.vignette_id], FW, vignette=LIB.vignettes[r.vignette_id]).to_dict()
        t = declared[r.trainee.id]
        bias.setdefault(f"{t}:risk", []).append(d["bias"]["risk"] or 0)
        bias.setdefault(f"{t}:protective", []).append(d["bias"]["protective"] or 0)

    def mean(name):
        return sum(bias[name]) / len(bias[name])

    assert mean("over_rates_risk:risk") > mean("accurate:risk") + 0.3
    assert mean("under_credits_protective:protective") < mean("accurate:protective") - 0.3


def test_write_demo_writes_jsonl_and_manifest(tmp_path):
    out = tmp_path / "demo.jsonl"
    manifest = write_demo(out, 8, 2, seed=3, library=LIB)
    loaded, problems = load_responses(out)
    assert len(loaded) == 16 and not problems
    written = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert written == manifest
    assert written["tendency_encoding"] == "trainee.role = 'demo:<tendency>'"
    by_id = {a["id"]: a["tendency"] for a in written["assessors"]}
    assert {tendency_of(r.trainee.role) for r in loaded} == set(by_id.values())
    assert set(written["bad_tendencies"]) == set(BAD_TENDENCIES)
