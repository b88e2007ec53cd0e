"""What a joint training room answered: distributions, splits, agency differences and prompts.

Pure functions from a session's submitted responses to frozen summaries; no widgets, no store.
The trainer's live view, the session pack and the tests all read these.

The answer key is an *argument*: pass ``key=None`` until the trainer reveals it, and nothing
derived from the key (consensus, panel, rationale, the key's evidence, essential or
contraindicated actions) is in the result. That is how the projector stays key-free.

Measures
--------
Split (:func:`normalised_entropy`)
    Shannon entropy of a factor's rating distribution divided by ``log(K)``, ``K`` the number
    of categories on the scale including ``insufficient`` (4 on the default scale): 0 when
    everyone chose the same rating, 1 when the room is spread evenly over every category.
    Also reported: the modal share (share of the room on the most chosen rating).
Agency difference (:func:`agency_distance`)
    Total variation distance between the police and the probation distributions of a factor,
    ``0.5 * sum_c |p_police(c) - p_probation(c)|``: 0 when the two agencies answered in the
    same proportions, 1 when no rating was chosen by both. The signed gap of numeric means
    (police minus probation, ``insufficient`` left out) gives the direction.
One response per trainee
    A trainee who submits the same case twice in a session is counted once, with their latest
    submission (:func:`latest_per_trainee`); nothing is dropped from exports.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from arms_training.content import AnswerKey, Vignette
from arms_training.framework import INSUFFICIENT, Framework
from arms_training.responses import AGENCIES, Response

__all__ = [
    "Rating",
    "FactorRoom",
    "ChoiceCount",
    "ContraindicatedPick",
    "Room",
    "Prompt",
    "Person",
    "Attendance",
    "categories",
    "normalised_entropy",
    "agency_distance",
    "latest_per_trainee",
    "summarise",
    "prompts",
    "most_split",
    "agency_differences",
    "display_names",
    "attendance",
    "COMPARED",
]

Rating = int | str
# The two agencies whose difference the room discusses (ARMS.md section 7).
COMPARED = ("police", "probation")
KeyRole = Literal["essential", "acceptable", "contraindicated", "not in key"]


# ---------------------------------------------------------------------------- measures


def categories(framework: Framework) -> tuple[Rating, ...]:
    """The rating categories in display order: the scale values, then ``insufficient``."""
    return (*framework.scale_values, INSUFFICIENT)


def normalised_entropy(counts: Mapping[Rating, int], n_categories: int) -> float | None:
    """Shannon entropy of ``counts`` over ``log(n_categories)``, in 0..1; None for no ratings.

    >>> normalised_entropy({0: 3}, 4)
    0.0
    >>> normalised_entropy({0: 1, 1: 1, 2: 1, "insufficient": 1}, 4)
    1.0
    """
    if n_categories < 2:
        raise ValueError(f"n_categories={n_categories!r} is not valid; allowed: 2 or more")
    n = sum(counts.values())
    if n == 0:
        return None
    h = -sum(c / n * math.log(c / n) for c in counts.values() if c > 0)
    return min(1.0, max(0.0, h / math.log(n_categories)))


def agency_distance(a: Mapping[Rating, int], b: Mapping[Rating, int]) -> float | None:
    """Total variation distance (0..1) between two count distributions; None if either is
    empty.

    >>> agency_distance({1: 2}, {1: 5})
    0.0
    >>> agency_distance({0: 1, 1: 1}, {1: 1, 2: 1})
    0.5
    """
    na, nb = sum(a.values()), sum(b.values())
    if na == 0 or nb == 0:
        return None
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in keys)


def _mean(counts: Mapping[Rating, int]) -> float | None:
    numeric = [(r, c) for r, c in counts.items() if isinstance(r, int) and c]
    n = sum(c for _, c in numeric)
    return sum(r * c for r, c in numeric) / n if n else None


def latest_per_trainee(responses: Iterable[Response]) -> list[Response]:
    """One response per (trainee, vignette): the latest submitted, in submission order."""
    latest: dict[tuple[str, str], Response] = {}
    for r in responses:
        k = (r.trainee.id, r.vignette_id)
        old = latest.get(k)
        if old is None or _when(r) >= _when(old):
            latest[k] = r
    return sorted(latest.values(), key=_when)


def _when(r: Response):
    return r.submitted_at or r.started_at


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FactorRoom:
    """One factor across the room. Key fields are None/empty until the key is given."""

    factor: str
    name: str
    kind: str
    categories: tuple[Rating, ...]
    counts: dict[str, dict[Rating, int]]  # agency -> rating -> count (every category present)
    total: dict[Rating, int]
    n: int
    not_rated: int
    modal: tuple[Rating, ...]
    modal_share: float | None
    entropy: float | None
    mean: dict[str, float | None]  # agency (and "all") -> numeric mean
    agency_gap: float | None  # police mean - probation mean
    agency_distance: float | None  # TVD police vs probation
    cited: tuple[tuple[str, int], ...]  # paragraphs the room cited, most cited first
    expected: Rating | None = None
    panel: tuple[Rating, ...] = ()
    rationale: str | None = None
    evidence: tuple[str, ...] = ()
    matched: float | None = None  # share of the room on the key's rating

    def n_agency(self, agency: str) -> int:
        return sum(self.counts.get(agency, {}).values())


@dataclass(frozen=True)
class ChoiceCount:
    """How many chose one option (a priority factor, a level, an intervention), by agency."""

    choice: str
    label: str
    total: int
    by_agency: dict[str, int]
    in_key: bool | None = None  # None before reveal
    key_role: KeyRole | None = None  # plan actions only, after reveal


@dataclass(frozen=True)
class ContraindicatedPick:
    intervention: str
    label: str
    total: int
    by_agency: dict[str, int]
    why: str


@dataclass(frozen=True)
class Room:
    """A vignette's responses in one session. ``revealed`` says whether a key was given."""

    vignette_id: str
    framework: str
    revealed: bool
    n: int
    agencies: tuple[str, ...]  # agencies present, in AGENCIES order
    n_by_agency: dict[str, int]
    n_full: int  # full-mode responses (levels and plans)
    factors: tuple[FactorRoom, ...]
    priorities: tuple[ChoiceCount, ...]  # one per factor, framework order
    priority_levels: tuple[ChoiceCount, ...]
    levels: tuple[ChoiceCount, ...]  # risk management level, full-mode responses
    actions: tuple[ChoiceCount, ...]  # interventions chosen, most chosen first
    contraindicated: tuple[ContraindicatedPick, ...] = ()
    key_priority_level: str | None = None
    key_level: str | None = None
    mean_total: dict[str, float | None] = field(default_factory=dict)

    def factor(self, factor_id: str) -> FactorRoom:
        for f in self.factors:
            if f.factor == factor_id:
                return f
        raise KeyError(factor_id)


def _agencies_of(responses: Sequence[Response]) -> tuple[str, ...]:
    seen = {r.trainee.agency for r in responses}
    return tuple(a for a in AGENCIES if a in seen)


def _factor_room(
    fw: Framework,
    factor_id: str,
    responses: Sequence[Response],
    agencies: tuple[str, ...],
    key: AnswerKey | None,
) -> FactorRoom:
    cats = categories(fw)
    counts = {a: dict.fromkeys(cats, 0) for a in agencies}
    total = dict.fromkeys(cats, 0)
    not_rated = 0
    cited: Counter[str] = Counter()
    for r in responses:
        rating = r.ratings.get(factor_id)
        if rating is None or rating not in total:
            not_rated += 1
        else:
            counts[r.trainee.agency][rating] += 1
            total[rating] += 1
        cited.update(list(dict.fromkeys(r.evidence.get(factor_id, ()))))
    n = sum(total.values())
    top = max(total.values()) if n else 0
    modal = tuple(c for c in cats if n and total[c] == top)
    police, probation = (counts.get(a, {}) for a in COMPARED)
    means = {a: _mean(counts[a]) for a in agencies}
    means["all"] = _mean(total)
    gap = None
    if means.get("police") is not None and means.get("probation") is not None:
        gap = means["police"] - means["probation"]  # type: ignore[operator]
    factor = fw.factor(factor_id)
    room = FactorRoom(
        factor=factor_id,
        name=factor.name,
        kind=factor.kind,
        categories=cats,
        counts=counts,
        total=total,
        n=n,
        not_rated=not_rated,
        modal=modal,
        modal_share=top / n if n else None,
        entropy=normalised_entropy(total, len(cats)),
        mean=means,
        agency_gap=gap,
        agency_distance=agency_distance(police, probation),
        cited=tuple(sorted(cited.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
    if key is None or factor_id not in key.factors:
        return room
    entry = key.factors[factor_id]
    panel = tuple(m.ratings[factor_id] for m in key.panel if factor_id in m.ratings)
    return replace(
        room,
        expected=entry.rating,
        panel=panel,
        rationale=entry.rationale,
        evidence=entry.evidence,
        matched=total.get(entry.rating, 0) / n if n else None,
    )


def _tally(
    choices: Sequence[tuple[str, str]],
    picks: Sequence[tuple[str, Iterable[str]]],
    agencies: tuple[str, ...],
    keyed: set[str] | None,
) -> tuple[ChoiceCount, ...]:
    """``choices``: (id, label) in display order; ``picks``: (agency, chosen ids) per response."""
    counts = {c: dict.fromkeys(agencies, 0) for c, _ in choices}
    for agency, chosen in picks:
        for c in dict.fromkeys(chosen):
            if c in counts:
                counts[c][agency] += 1
    return tuple(
        ChoiceCount(
            choice=c,
            label=label,
            total=sum(counts[c].values()),
            by_agency=counts[c],
            in_key=None if keyed is None else c in keyed,
        )
        for c, label in choices
    )


def _actions(
    fw: Framework, responses: Sequence[Response], agencies: tuple[str, ...], key: AnswerKey | None
) -> tuple[tuple[ChoiceCount, ...], tuple[ContraindicatedPick, ...]]:
    counts: dict[str, dict[str, int]] = {}
    labels: dict[str, str] = {}
    for r in responses:
        for a in r.plan:
            iv = a.intervention
            if iv not in labels:
                known = iv in fw.intervention_ids
                labels[iv] = fw.intervention(iv).label if known else ("Other" if iv == "other" else iv)
        for iv in dict.fromkeys(a.intervention for a in r.plan):
            counts.setdefault(iv, dict.fromkeys(agencies, 0))[r.trainee.agency] += 1
    roles: dict[str, KeyRole] = {}
    why: dict[str, str] = {}
    if key is not None:
        for acceptable in key.plan.acceptable:
            roles[acceptable.intervention] = "acceptable"
        for essential in key.plan.essential:
            roles[essential.intervention] = "essential"
        for avoid in key.plan.contraindicated:
            roles[avoid.intervention] = "contraindicated"
            why[avoid.intervention] = avoid.why
    rows = [
        ChoiceCount(
            choice=iv,
            label=labels[iv],
            total=sum(by.values()),
            by_agency=by,
            in_key=None if key is None else roles.get(iv, "not in key") in ("essential", "acceptable"),
            key_role=None if key is None else roles.get(iv, "not in key"),
        )
        for iv, by in counts.items()
    ]
    rows.sort(key=lambda c: (-c.total, c.label.lower()))
    contra = tuple(
        ContraindicatedPick(c.choice, c.label, c.total, c.by_agency, why[c.choice])
        for c in rows
        if c.key_role == "contraindicated"
    )
    return tuple(rows), contra


def summarise(
    responses: Iterable[Response],
    framework: Framework,
    *,
    vignette_id: str,
    key: AnswerKey | None = None,
    scores: Mapping[str, float] | None = None,
) -> Room:
    """Aggregate the room's submitted responses to one vignette.

    Parameters
    ----------
    responses : iterable of Response
        The session's submissions; others' vignettes are ignored, and a trainee's earlier
        submission of the same vignette is superseded by their latest.
    framework : Framework
        Gives factors, scale, levels and the intervention catalogue.
    vignette_id : str
        Which vignette to summarise.
    key : AnswerKey, optional
        The answer key, **only once the trainer has revealed it**. Without it the result holds
        nothing derived from the key.
    scores : mapping of response id to total (0..100), optional
        Totals from the shared scoring module, averaged by agency after reveal.
    """
    if key is not None and key.vignette_id != vignette_id:
        raise ValueError(f"the answer key is for '{key.vignette_id}', not '{vignette_id}'")
    chosen = latest_per_trainee(r for r in responses if r.vignette_id == vignette_id)
    agencies = _agencies_of(chosen)
    fw = framework
    factors = tuple(_factor_room(fw, f, chosen, agencies, key) for f in fw.factor_ids)
    full = [r for r in chosen if r.mode == "full"]
    priorities = _tally(
        [(f.id, f.name) for f in fw.factors],
        [(r.trainee.agency, r.priorities) for r in chosen],
        agencies,
        None if key is None else set(key.priorities),
    )
    priority_levels = _tally(
        [(p.id, p.label) for p in fw.priority_levels],
        [(r.trainee.agency, [r.priority_level] if r.priority_level else []) for r in chosen],
        agencies,
        None if key is None else {key.priority_level},
    )
    levels = _tally(
        [(lv.id, lv.label) for lv in fw.risk_management_levels],
        [(r.trainee.agency, [r.risk_management_level] if r.risk_management_level else []) for r in full],
        agencies,
        None if key is None else {key.risk_management_level},
    )
    actions, contra = _actions(fw, full, agencies, key)
    mean_total: dict[str, float | None] = {}
    if key is not None and scores:
        for a in (*agencies, "all"):
            vals = [
                scores[str(r.response_id)]
                for r in chosen
                if str(r.response_id) in scores and a in ("all", r.trainee.agency)
            ]
            mean_total[a] = sum(vals) / len(vals) if vals else None
    return Room(
        vignette_id=vignette_id,
        framework=fw.id,
        revealed=key is not None,
        n=len(chosen),
        agencies=agencies,
        n_by_agency={a: sum(r.trainee.agency == a for r in chosen) for a in agencies},
        n_full=len(full),
        factors=factors,
        priorities=priorities,
        priority_levels=priority_levels,
        levels=levels,
        actions=actions,
        contraindicated=contra,
        key_priority_level=None if key is None else key.priority_level,
        key_level=None if key is None else key.risk_management_level,
        mean_total=mean_total,
    )


# ---------------------------------------------------------------------------- prompts


def most_split(room: Room, *, n: int = 3, min_ratings: int = 2) -> list[FactorRoom]:
    """The ``n`` factors with the highest split (normalised entropy), ties broken by the lower
    modal share then framework order; only factors with some disagreement and at least
    ``min_ratings`` ratings."""
    pool = [f for f in room.factors if f.n >= min_ratings and (f.entropy or 0) > 0]
    pool.sort(key=lambda f: (-(f.entropy or 0), f.modal_share or 0))
    return pool[:n]


def agency_differences(room: Room, *, n: int = 3, min_per_agency: int = 1) -> list[FactorRoom]:
    """The ``n`` factors where police and probation answered most differently (total variation
    distance, ties broken by the larger gap in means); needs ``min_per_agency`` ratings from
    each agency."""
    pool = [
        f
        for f in room.factors
        if f.agency_distance and all(f.n_agency(a) >= min_per_agency for a in COMPARED)
    ]
    pool.sort(key=lambda f: (-(f.agency_distance or 0), -abs(f.agency_gap or 0)))
    return pool[:n]


@dataclass(frozen=True)
class Prompt:
    """One thing for the room to discuss, with the paragraphs to reread."""

    kind: Literal["split", "agency"]
    factor: str
    name: str
    headline: str
    detail: str
    reread: tuple[str, ...]
    paragraphs: tuple[tuple[str, str], ...]  # (paragraph id, text) when the vignette is given
    expected: Rating | None = None
    rationale: str | None = None


def _spread_text(counts: Mapping[Rating, int]) -> str:
    parts = [f"{_short(r)}: {c}" for r, c in counts.items() if c]
    return ", ".join(parts) or "no ratings"


def _short(rating: Rating) -> str:
    return "insufficient" if rating == INSUFFICIENT else str(rating)


def _agency_text(f: FactorRoom, agency: str) -> str:
    counts = f.counts.get(agency, {})
    n = sum(counts.values())
    top = max(counts.values()) if n else 0
    modal = [_short(r) for r, c in counts.items() if n and c == top]
    mean = f.mean.get(agency)
    mean_text = f", mean {mean:.1f}" if mean is not None else ""
    return f"{agency.capitalize()} (n={n}) mostly {' or '.join(modal)}{mean_text}"


def _reread(f: FactorRoom, *, cited: int = 4, extra: int = 2) -> tuple[str, ...]:
    """Before reveal the ``cited`` paragraphs the room cited most; after, the key's evidence
    and the ``extra`` most cited paragraphs the key does not list (what the room leaned on)."""
    room = [p for p, _ in f.cited if p not in f.evidence]
    return tuple(f.evidence) + tuple(room[: extra if f.evidence else cited])


def _paragraphs(vignette: Vignette | None, ids: Sequence[str]) -> tuple[tuple[str, str], ...]:
    if vignette is None:
        return ()
    out = []
    for pid in ids:
        try:
            out.append((pid, vignette.paragraph(pid).text))
        except KeyError:
            continue
    return tuple(out)


def prompts(
    room: Room, *, vignette: Vignette | None = None, n: int = 3, min_per_agency: int = 1
) -> list[Prompt]:
    """Discussion prompts: the ``n`` most split factors, then the ``n`` factors where police
    and probation differ most. Each names the paragraphs to reread (before reveal those the
    room cited; after, the key's evidence first) and, after reveal, the expert rationale."""
    out: list[Prompt] = []
    for f in most_split(room, n=n):
        share = f"{(f.modal_share or 0) * 100:.0f}%"
        ids = _reread(f)
        out.append(
            Prompt(
                kind="split",
                factor=f.factor,
                name=f.name,
                headline=f"{f.name}: the room is split ({_spread_text(f.total)})",
                detail=f"The most common rating has only {share} of the room (n={f.n}).",
                reread=ids,
                paragraphs=_paragraphs(vignette, ids),
                expected=f.expected,
                rationale=f.rationale,
            )
        )
    for f in agency_differences(room, n=n, min_per_agency=min_per_agency):
        direction = ""
        if f.agency_gap:
            higher = "police" if f.agency_gap > 0 else "probation"
            direction = f" {higher.capitalize()} rate it higher by {abs(f.agency_gap):.1f} on average."
        ids = _reread(f)
        out.append(
            Prompt(
                kind="agency",
                factor=f.factor,
                name=f.name,
                headline=f"{f.name}: police and probation differ",
                detail="; ".join(_agency_text(f, a) for a in COMPARED) + "." + direction,
                reread=ids,
                paragraphs=_paragraphs(vignette, ids),
                expected=f.expected,
                rationale=f.rationale,
            )
        )
    return out


# ---------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Person:
    trainee_id: str
    label: str  # pseudonym, or "Police 1" when anonymised
    agency: str
    status: Literal["joined", "in progress", "submitted"]
    submitted: int  # responses submitted in the session


@dataclass(frozen=True)
class Attendance:
    agencies: tuple[str, ...]
    joined: dict[str, int]
    in_progress: dict[str, int]
    submitted: dict[str, int]  # trainees with at least one submission
    responses: dict[str, int]  # submitted responses (latest per trainee and case)
    people: tuple[Person, ...]

    @property
    def total_joined(self) -> int:
        return sum(self.joined.values())

    @property
    def total_submitted(self) -> int:
        return sum(self.submitted.values())


def display_names(people: Iterable[tuple[str, str]], *, anonymise: bool) -> dict[str, str]:
    """trainee id -> the name shown on screen. ``people`` are (trainee id, agency) in joining
    order; anonymised names number each agency from 1 ("Police 1", "Probation 1", "Other 1").

    The names are plain text: escape them wherever they go into markup.
    """
    names: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for trainee_id, agency in people:
        if trainee_id in names:
            continue
        if anonymise:
            seen[agency] += 1
            names[trainee_id] = f"{agency.capitalize()} {seen[agency]}"
        else:
            names[trainee_id] = trainee_id
    return names


def attendance(
    joined: Iterable[tuple[str, str]],
    drafts: Iterable[Response],
    submitted: Iterable[Response],
    *,
    anonymise: bool,
) -> Attendance:
    """Who joined, who is working and who has submitted, by agency.

    ``joined``: (trainee id, agency) in joining order. A trainee who submitted without joining
    (an older page) is counted as joined; one who joined twice is counted once.
    """
    submitted = latest_per_trainee(submitted)
    order: dict[str, str] = {}
    for tid, agency in joined:
        order.setdefault(tid, agency)
    for r in submitted:
        order.setdefault(r.trainee.id, r.trainee.agency)
    working = {r.trainee.id for r in drafts}
    n_sub = Counter(r.trainee.id for r in submitted)
    names = display_names(order.items(), anonymise=anonymise)
    people = []
    for tid, agency in order.items():
        status = "submitted" if n_sub[tid] else "in progress" if tid in working else "joined"
        people.append(Person(tid, names[tid], agency, status, n_sub[tid]))  # type: ignore[arg-type]
    agencies = tuple(a for a in AGENCIES if a in order.values())

    def count(pred) -> dict[str, int]:
        return {a: sum(1 for p in people if p.agency == a and pred(p)) for a in agencies}

    return Attendance(
        agencies=agencies,
        joined=count(lambda p: True),
        in_progress=count(lambda p: p.trainee_id in working),
        submitted=count(lambda p: p.submitted > 0),
        responses={a: sum(n_sub[p.trainee_id] for p in people if p.agency == a) for a in agencies},
        people=tuple(people),
    )
