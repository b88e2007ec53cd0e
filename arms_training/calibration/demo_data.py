"""Synthetic responses from simulated assessors with declared tendencies.

For demonstrations, dashboards and tests of the calibration pipeline: a plausible cohort answering
the shipped vignettes, in which a few assessors have a known weakness that calibration must find.

Tendencies (:data:`TENDENCIES`)
-------------------------------
``accurate``
    Mostly the panel consensus; sometimes another expert's rating (legitimate disagreement) or
    one step off. Complete plans with the essential actions.
``over_rates_risk``
    As accurate, then most risk factors one step higher (an ``insufficient`` risk factor rated
    present); extra restrictive and sometimes contraindicated actions.
``under_credits_protective``
    As accurate, then most protective factors one step lower; plans without constructive,
    strength-building actions.
``careless``
    Two ratings in three at random (including ``insufficient``), sketchy plans with empty fields.

Agency difference: police assessors lean slightly toward risk (a risk factor one step higher
now and then) and probation assessors slightly toward strengths, within the calibration
tolerance, as the evaluations describe.

Encoding (choose once, documented here): each assessor's tendency is written in the response
itself as ``trainee.role = "demo:<tendency>"`` (:func:`tendency_of` reads it back), so it survives
a round trip through the store; :func:`write_demo` also writes ``FILE.manifest.json`` with the
generator settings and every assessor's id, agency, area and tendency. Calibration never reads the
role: the tests compare its flags with the manifest.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from arms_training.content import AnswerKey, Library, Vignette, load_library
from arms_training.errors import SettingsError, SourceError
from arms_training.framework import INSUFFICIENT, Framework, framework_by_id
from arms_training.io.files import atomic_file, write_atomic
from arms_training.locations import content_root, where
from arms_training.responses import Response

__all__ = [
    "TENDENCIES",
    "BAD_TENDENCIES",
    "ROLE_PREFIX",
    "AREAS",
    "Assessor",
    "make_assessors",
    "demo_records",
    "generate",
    "write_demo",
    "tendency_of",
    "manifest_path",
]

Tendency = Literal["accurate", "over_rates_risk", "under_credits_protective", "careless"]
TENDENCIES: tuple[Tendency, ...] = ("accurate", "over_rates_risk", "under_credits_protective", "careless")
BAD_TENDENCIES = TENDENCIES[1:]
ROLE_PREFIX = "demo:"
AREAS = ("North", "South", "East", "West", "Central")
# Share of a cohort given each tendency (the rest accurate).
BAD_SHARE = 0.15
QUICK_SHARE = 0.1

# Probabilities behind each tendency (project choices, tuned so that a tendency is clearly
# outside CalibrationSettings' defaults and an accurate assessor clearly inside).
P_CONSENSUS = 0.80  # accurate: the consensus rating
P_PANEL = 0.10  # accurate: another expert's rating
P_SHIFT = 0.85  # biased: shift a factor of the biased kind
P_RANDOM = 0.65  # careless: a random rating
P_POLICE_RISK_LEAN = 0.08  # police: a risk factor one step higher
P_PROBATION_LEAN = 0.06  # probation: a protective factor one step higher


@dataclass(frozen=True)
class Assessor:
    id: str
    agency: Literal["police", "probation"]
    area: str
    tendency: Tendency

    @property
    def role(self) -> str:
        return f"{ROLE_PREFIX}{self.tendency}"


def tendency_of(role: str) -> str | None:
    """The demo tendency encoded in a trainee role (``"demo:careless"``), else None."""
    return role[len(ROLE_PREFIX) :] if role.startswith(ROLE_PREFIX) else None


def manifest_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".manifest.json")


def make_assessors(n: int, *, seed: int = 0) -> list[Assessor]:
    """``n`` assessors: ``BAD_SHARE`` of them (rounded, at least one each when n >= 4) per bad
    tendency, the rest accurate; agencies alternate so both are represented in every tendency."""
    if n < 1:
        raise SettingsError(f"n={n!r} is not valid; allowed: at least 1 assessor")
    rng = random.Random(f"assessors-{seed}")
    per_bad = max(1, round(n * BAD_SHARE)) if n >= 4 else 0
    bad: list[Tendency] = [t for t in BAD_TENDENCIES for _ in range(per_bad)]
    accurate: list[Tendency] = ["accurate"] * (n - len(bad))
    tendencies = accurate + bad
    rng.shuffle(tendencies)
    agencies: list[Literal["police", "probation"]] = ["police", "probation"] * (n // 2 + 1)
    return [
        Assessor(id=f"demo-{i + 1:04d}", agency=agencies[i], area=rng.choice(AREAS), tendency=t)
        for i, t in enumerate(tendencies)
    ]


class _Simulator:
    def __init__(self, fw: Framework, rng: random.Random):
        self.fw, self.rng = fw, rng
        self.scale = list(fw.scale_values)
        self.lo, self.hi = self.scale[0], self.scale[-1]
        self.kind = {f.id: f.kind for f in fw.factors}

    def step(self, value: int, delta: int) -> int:
        return min(self.hi, max(self.lo, value + delta))

    def rating(self, a: Assessor, factor: str, expected, panel) -> Any:
        rng, kind = self.rng, self.kind[factor]
        if a.tendency == "careless" and rng.random() < P_RANDOM:
            return rng.choice([*self.scale, INSUFFICIENT])
        u = rng.random()
        if u < P_CONSENSUS:
            r = expected
        elif u < P_CONSENSUS + P_PANEL and panel:
            r = rng.choice(panel)
        elif expected == INSUFFICIENT:
            r = rng.choice(self.scale[1:-1] or self.scale)
        else:
            r = self.step(expected, rng.choice((-1, 1)))
        if r == INSUFFICIENT:
            if a.tendency == "over_rates_risk" and kind == "risk" and rng.random() < P_SHIFT:
                return self.hi
            if a.tendency == "under_credits_protective" and kind == "protective" and rng.random() < P_SHIFT:
                return self.lo
            return r
        if a.tendency == "over_rates_risk" and kind == "risk" and rng.random() < P_SHIFT:
            r = self.step(r, 1)
        elif a.tendency == "under_credits_protective" and kind == "protective" and rng.random() < P_SHIFT:
            r = self.step(r, -1)
        elif a.agency == "police" and kind == "risk" and rng.random() < P_POLICE_RISK_LEAN:
            r = self.step(r, 1)
        elif a.agency == "probation" and kind == "protective" and rng.random() < P_PROBATION_LEAN:
            r = self.step(r, 1)
        return r

    def action(self, intervention: str, factors, a: Assessor) -> dict:
        rng = self.rng
        careless = a.tendency == "careless"
        filled = 0.35 if careless else 0.99

        def text(value: str) -> str:
            return value if rng.random() < filled else ""

        label = (
            self.fw.intervention(intervention).label
            if intervention in self.fw.intervention_ids
            else intervention
        )
        return {
            "intervention": intervention,
            "factors": list(factors),
            "objective": text(f"{label}: reduce the identified risk and check progress."),
            "enforcement": text("Checked at each visit and recorded on the case file."),
            "rationale": text("Proportionate to the risk identified; reviewed if it changes."),
            "owner": text(a.agency),
            "review_weeks": rng.choice((4, 8, 12)) if rng.random() < filled else None,
        }


def _plan(sim: _Simulator, a: Assessor, key: AnswerKey) -> list[dict]:
    rng, fw = sim.rng, sim.fw
    if a.tendency == "careless":
        picks = rng.sample(fw.intervention_ids, k=rng.choice((1, 2)))
        return [sim.action(i, [], a) for i in picks]
    actions = []
    for e in key.plan.essential:
        kind = (
            fw.intervention(e.intervention).kind if e.intervention in fw.intervention_ids else "restrictive"
        )
        if a.tendency == "under_credits_protective" and kind != "restrictive":
            continue
        if rng.random() < 0.92:
            actions.append(sim.action(e.intervention, e.factors, a))
    for acceptable in key.plan.acceptable:
        if rng.random() < 0.25:
            actions.append(sim.action(acceptable.intervention, acceptable.factors, a))
    if a.tendency in ("over_rates_risk", "under_credits_protective"):
        for c in key.plan.contraindicated:
            if rng.random() < 0.5:
                actions.append(sim.action(c.intervention, [], a))
    if not actions:
        e = key.plan.essential[0]
        actions.append(sim.action(e.intervention, e.factors, a))
    return actions


def _priorities(sim: _Simulator, a: Assessor, key: AnswerKey, ratings: dict) -> list[str]:
    rng, fw = sim.rng, sim.fw
    if a.tendency == "careless":
        return rng.sample(fw.factor_ids, k=rng.randint(0, 4))
    chosen = [f for f in key.priorities if rng.random() < 0.93]
    if a.tendency == "over_rates_risk":
        chosen += [f.id for f in fw.risk_factors if ratings.get(f.id) == sim.hi]
    if a.tendency == "under_credits_protective":
        chosen = [f for f in chosen if sim.kind[f] == "risk"]
    if rng.random() < 0.1:
        chosen.append(rng.choice(fw.factor_ids))
    return list(dict.fromkeys(chosen))


def _level_choice(sim: _Simulator, a: Assessor, ids: tuple[str, ...], expected: str, shift: int = 0) -> str:
    rng = sim.rng
    if a.tendency == "careless" and rng.random() < 0.5:
        return rng.choice(ids)
    i = ids.index(expected)
    if rng.random() < 0.1:
        i += rng.choice((-1, 1))
    return ids[min(len(ids) - 1, max(0, i + shift))]


def _record(
    sim: _Simulator, a: Assessor, v: Vignette, key: AnswerKey, when: datetime, session: str, quick: bool
) -> dict:
    rng, fw = sim.rng, sim.fw
    ratings, evidence = {}, {}
    for f in fw.factor_ids:
        if f not in key.factors:
            continue
        if a.tendency == "careless" and rng.random() < 0.03:
            continue  # left unrated
        panel = [m.ratings[f] for m in key.panel if f in m.ratings]
        ratings[f] = sim.rating(a, f, key.factors[f].rating, panel)
        cited = [p for p in key.factors[f].evidence if rng.random() < 0.7]
        if cited:
            evidence[f] = cited
    shift = 1 if a.tendency == "over_rates_risk" and rng.random() < 0.6 else 0
    priority_level = _level_choice(sim, a, fw.priority_ids, key.priority_level, shift)
    minutes = rng.randint(25, 95) if not quick else rng.randint(10, 30)
    record: dict[str, Any] = {
        "schema_version": 1,
        "response_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "trainee": {"id": a.id, "agency": a.agency, "role": a.role, "area": a.area},
        "session_code": session,
        "vignette_id": v.id,
        "vignette_version": v.version,
        "key_version": key.key_version,
        "framework": fw.id,
        "mode": "quick" if quick else "full",
        "ratings": ratings,
        "evidence": evidence,
        "notes": {},
        "priorities": _priorities(sim, a, key, ratings),
        "priority_level": priority_level,
        "started_at": when.isoformat(),
        "submitted_at": (when + timedelta(minutes=minutes)).isoformat(),
        "stage_seconds": {"rate": minutes * 30.0, "prioritise": minutes * 8.0},
    }
    if quick:
        return record
    matrix = fw.level_for(v.static_tool.category, priority_level)
    level, rationale = matrix, None
    if a.tendency == "careless" and rng.random() < 0.4:
        level = rng.choice(fw.level_ids)
    elif priority_level == key.priority_level and key.risk_management_level != matrix:
        level, rationale = (
            key.risk_management_level,
            ("Override: the static category overstates the current picture; see the case notes."),
        )
    record |= {"risk_management_level": level, "override_rationale": rationale, "plan": _plan(sim, a, key)}
    if key.follow_up is not None and v.follow_up is not None:
        kfu = key.follow_up
        sig = (
            kfu.significant_change
            if (a.tendency != "careless" and rng.random() < 0.9)
            else rng.random() < 0.5
        )
        fu_ratings = {f: sim.rating(a, f, r, []) for f, r in kfu.ratings.items()}
        record["follow_up"] = {
            "significant_change": sig,
            "ratings": fu_ratings,
            "risk_management_level": _level_choice(sim, a, fw.level_ids, kfu.risk_management_level),
        }
    return record


def demo_records(
    trainees: int,
    responses_each: int,
    *,
    seed: int = 0,
    library: Library | None = None,
    framework: Framework | None = None,
    start: datetime = datetime(2025, 1, 6, tzinfo=UTC),
    months: int = 12,
    assessors: list[Assessor] | None = None,
) -> Iterator[dict]:
    """Yield JSON-ready response records (``Response`` fields), assessor by assessor.

    Each assessor answers ``responses_each`` vignettes (all shipped vignettes in a shuffled
    order, then again), at times spread over ``months`` months from ``start``, in sessions
    named after area and month; about ``QUICK_SHARE`` of responses are quick mode.
    The same arguments always give the same records.
    """
    if responses_each < 1:
        raise SettingsError(f"responses_each={responses_each!r} is not valid; allowed: >= 1")
    given = library is not None
    library = library or load_library()
    usable = sorted(v for v in library.keys if v in library.vignettes)
    if not usable:
        place = "in the library given" if given else where(content_root())
        raise SourceError(f"no vignette with an answer key {place}; nothing to answer")
    framework = framework or framework_by_id(library.keys[usable[0]].framework)
    usable = [v for v in usable if library.keys[v].framework == framework.id]
    rng = random.Random(seed)
    sim = _Simulator(framework, rng)
    span = max(1, months * 30) * 86400
    for a in assessors or make_assessors(trainees, seed=seed):
        order: list[str] = []
        while len(order) < responses_each:
            batch = list(usable)
            rng.shuffle(batch)
            order += batch
        times = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(responses_each))
        for vid, when in zip(order[:responses_each], times, strict=True):
            session = f"{a.area[:3].upper()}-{when:%Y-%m}"
            yield _record(
                sim,
                a,
                library.vignettes[vid],
                library.keys[vid],
                when,
                session,
                quick=rng.random() < QUICK_SHARE,
            )


def generate(
    trainees: int, responses_each: int, *, seed: int = 0, library: Library | None = None, **kwargs
) -> tuple[list[Response], list[Assessor]]:
    """Validated :class:`Response` objects and the assessors who wrote them."""
    assessors = make_assessors(trainees, seed=seed)
    records = demo_records(
        trainees, responses_each, seed=seed, library=library, assessors=assessors, **kwargs
    )
    return [Response.model_validate(r) for r in records], assessors


def write_demo(
    out: str | Path,
    trainees: int,
    responses_each: int,
    *,
    seed: int = 0,
    library: Library | None = None,
    **kwargs,
) -> dict:
    """Write ``out`` (JSONL, one response per line) and ``out.manifest.json``; return the
    manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    assessors = make_assessors(trainees, seed=seed)
    n = 0
    # Written whole or not at all: a failure half-way must not spoil a file that was there.
    with atomic_file(out) as fh:
        for record in demo_records(
            trainees, responses_each, seed=seed, library=library, assessors=assessors, **kwargs
        ):
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
            n += 1
    manifest = {
        "generator": "arms-training demo-data",
        "seed": seed,
        "trainees": trainees,
        "responses_each": responses_each,
        "responses": n,
        "file": out.name,
        "tendency_encoding": f"trainee.role = '{ROLE_PREFIX}<tendency>'",
        "tendencies": list(TENDENCIES),
        "bad_tendencies": list(BAD_TENDENCIES),
        "assessors": [asdict(a) for a in assessors],
    }
    write_atomic(manifest_path(out), (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest
