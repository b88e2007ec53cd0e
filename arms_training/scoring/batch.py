"""Vectorised scoring for calibration: :func:`arms_training.scoring.rules.score` for 100,000 responses.

The rules are not restated here. Per-factor credit comes from lookup tables filled by calling
``scoring.factor_credit`` / ``follow_up_credit`` for every possible rating, part scores from the
same formulas applied column by column in the same order, and a record the vectorised checks
find suspect is checked again by ``scoring.check_for_scoring``, which alone decides whether it is
bad and words the problem. ``tests/test_calibration.py`` proves the numbers equal score()'s, bit
for bit, on a sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from arms_training.content import AnswerKey, Vignette
from arms_training.errors import Problem
from arms_training.framework import INSUFFICIENT, PLAN_SHARES, Framework, framework_by_id
from arms_training.io.frames import ACTION_FIELDS, ResponseFrames
from arms_training.scoring.rules import (
    check_for_scoring,
    factor_credit,
    follow_up_credit,
    no_key_problem,
    unknown_framework_problem,
)
from arms_training.stages import PARTS

__all__ = ["BatchScores", "score_frames", "SCORE_COLUMNS"]

SCORE_COLUMNS = (
    "ok",
    "total",
    *PARTS,
    "n_factors",
    "n_exact",
    "n_within",
    "risk_diff",
    "risk_n",
    "protective_diff",
    "protective_n",
    "exact_agreement",
    "within_one",
    "bias_risk",
    "bias_protective",
    "bias_all",
    "precision",
    "recall",
    "f1",
    "priority_level_correct",
    "level_correct",
    "unexplained_override",
    *PLAN_SHARES,
    "n_actions",
    "n_contraindicated",
    "fu_significant_correct",
    "fu_ratings",
    "fu_level_correct",
)


@dataclass
class BatchScores:
    """Scores for every row of a :class:`ResponseFrames`.

    ``scores`` has :data:`SCORE_COLUMNS` (``ok`` False and the rest NaN for a bad record; part
    columns NaN when the mode or key does not ask for the part). ``difference``, ``credit`` and
    ``exact`` are wide (rows x factor) like ``frames.ratings``, NaN outside the key's factors.
    ``findings`` is long: ``row, finding, item``. ``problems`` lists every bad record's problems.
    """

    scores: pd.DataFrame
    difference: pd.DataFrame
    credit: pd.DataFrame
    exact: pd.DataFrame
    findings: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


def _div(num, den, empty: float) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(num.shape, empty, dtype=float)
    np.divide(num, den, out=out, where=den != 0)
    return out


class _Group:
    """The rows of one framework, their keys and the lookup tables built from the rules."""

    def __init__(
        self, fw: Framework, vids: list[str], keys: Mapping[str, AnswerKey], vignettes: Mapping[str, Vignette]
    ):
        self.fw = fw
        self.factors = list(fw.factor_ids)
        self.scale = np.array(fw.scale_values, dtype=float)
        self.k = len(self.scale)
        self.vids = vids
        self.keys = [keys[v] for v in vids]
        self.vignettes = [vignettes.get(v) for v in vids]
        self._positions: dict[tuple, np.ndarray] = {}
        adj = fw.plan_rubric.adjacent_credit
        # Code space for a given rating: 0..k-1 scale positions, k insufficient, k+1 missing.
        given_values: list = [*fw.scale_values, INSUFFICIENT, None]
        nv, nf = len(vids), len(self.factors)
        self.has = np.zeros((nv, nf), dtype=bool)
        self.expected = np.full((nv, nf), np.nan)
        self.expected_code = np.full((nv, nf), -1)
        self.credit = np.zeros((nv, nf, self.k + 2))
        self.fu_has = np.zeros((nv, nf), dtype=bool)
        self.fu_expected_code = np.full((nv, nf), -1)
        self.fu_credit = np.zeros((nv, nf, self.k + 2))
        for j, key in enumerate(self.keys):
            for c, f in enumerate(self.factors):
                if f in key.factors:
                    exp = key.factors[f].rating
                    panel = [m.ratings[f] for m in key.panel if f in m.ratings]
                    self.has[j, c] = True
                    self.expected_code[j, c] = self._code(exp)
                    if exp != INSUFFICIENT:
                        self.expected[j, c] = exp
                    self.credit[j, c] = [
                        factor_credit(g, exp, panel, adjacent_credit=adj) for g in given_values
                    ]
                if key.follow_up is not None and f in key.follow_up.ratings:
                    exp = key.follow_up.ratings[f]
                    self.fu_has[j, c] = True
                    self.fu_expected_code[j, c] = self._code(exp)
                    self.fu_credit[j, c] = [
                        follow_up_credit(g, exp, adjacent_credit=adj) for g in given_values
                    ]

    def positions(self, df: pd.DataFrame, column: str, ids: tuple[str, ...]) -> np.ndarray:
        """Each value's position in ``ids`` (-1 for none) over a whole long frame, hashed once
        for the suspect checks and the scoring both."""
        key = (id(df), column, ids)
        if key not in self._positions:
            self._positions[key] = pd.Index(ids).get_indexer(df[column].to_numpy())
        return self._positions[key]

    def _code(self, rating) -> int:
        if rating == INSUFFICIENT:
            return self.k
        pos = np.flatnonzero(self.scale == rating)
        return int(pos[0]) if pos.size else -1

    def codes(self, values: pd.DataFrame, insufficient: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
        """(rows x framework factors) rating codes."""
        out = np.full((len(rows), len(self.factors)), self.k + 1, dtype=np.int64)
        for c, f in enumerate(self.factors):
            if f not in values.columns:
                continue
            v = values[f].to_numpy()[rows]
            ins = insufficient[f].to_numpy()[rows]
            num = ~np.isnan(v)
            out[num, c] = np.searchsorted(self.scale, v[num])
            out[ins, c] = self.k
        return out


def _suspect(frames: ResponseFrames, rows: np.ndarray, g: _Group, vj: np.ndarray) -> np.ndarray:
    """Rows the vectorised checks cannot clear; check_for_scoring decides (a superset of its
    rules, so no bad record is scored)."""
    fw = g.fw
    meta = frames.responses.iloc[rows]
    bad = np.zeros(len(rows), dtype=bool)
    for j, (vid, key, v) in enumerate(zip(g.vids, g.keys, g.vignettes, strict=True)):
        here = vj == j
        if key.framework != fw.id or key.vignette_id != vid or (v is not None and v.id != vid):
            bad |= here
            continue
        if v is not None:
            bad |= here & (meta["vignette_version"].to_numpy() != v.version)
        kv = meta["key_version"].to_numpy()
        bad |= here & ~np.isnan(kv) & (kv != key.key_version)
    allowed = set(fw.factor_ids)
    for values, insufficient in (
        (frames.ratings, frames.insufficient),
        (frames.follow_up_ratings, frames.follow_up_insufficient),
    ):
        for f in values.columns:
            v = values[f].to_numpy()[rows]
            present = ~np.isnan(v) | insufficient[f].to_numpy()[rows]
            if f not in allowed:
                bad |= present
            else:
                bad |= ~np.isnan(v) & ~np.isin(v, g.scale)
    for column, ids in (
        ("priority_level", fw.priority_ids),
        ("risk_management_level", fw.level_ids),
        ("fu_level", fw.level_ids),
    ):
        col = meta[column]
        bad |= (col.notna() & ~col.isin(ids)).to_numpy()
    local = np.full(len(frames), -1, dtype=np.int64)  # frame row -> position in rows
    local[rows] = np.arange(len(rows))
    for df, column, ids in (
        (frames.priorities, "factor", fw.factor_ids),
        (frames.action_factors, "factor", fw.factor_ids),
        (frames.actions, "intervention", (*fw.intervention_ids, "other")),
    ):
        at = local[df["row"].to_numpy(dtype=np.int64)]
        unknown = (at >= 0) & (g.positions(df, column, tuple(ids)) < 0)
        bad[at[unknown]] = True
    return bad


def score_frames(
    frames: ResponseFrames,
    keys: Mapping[str, AnswerKey],
    *,
    frameworks: Mapping[str, Framework] | None = None,
    vignettes: Mapping[str, Vignette] | None = None,
) -> BatchScores:
    """Score every response in ``frames`` by the rules of :mod:`arms_training.scoring.rules`.

    Parameters
    ----------
    frames : ResponseFrames
    keys : mapping of vignette id to AnswerKey
    frameworks : mapping of framework id to Framework, optional
        Missing ids are looked up among the installed frameworks.
    vignettes : mapping of vignette id to Vignette, optional
        Needed for the matrix check of the level and the vignette-version check.
    """
    vignettes = vignettes or {}
    frameworks = dict(frameworks or {})
    n = len(frames)
    meta = frames.responses
    columns = list(frames.ratings.columns)
    scores = {name: np.full(n, np.nan) for name in SCORE_COLUMNS}
    wide = {name: np.full((n, len(columns)), np.nan) for name in ("difference", "credit", "exact")}
    findings: list[pd.DataFrame] = []
    problems: list[Problem] = []
    vid_all = meta["vignette_id"].to_numpy()
    no_key = ~meta["vignette_id"].isin(list(keys)).to_numpy()
    for row in np.flatnonzero(no_key):
        problems.append(no_key_problem(meta["response_id"].iat[row], vid_all[row], keys))
    for fw_id, idx in meta.groupby("framework", sort=True).indices.items():
        rows = idx[~no_key[idx]]
        if not len(rows):
            continue
        fw = frameworks.get(fw_id)
        if fw is None:
            try:
                fw = frameworks[fw_id] = framework_by_id(fw_id)
            except KeyError as exc:
                problems += [unknown_framework_problem(meta["response_id"].iat[r], exc) for r in rows]
                continue
        vids = sorted(set(vid_all[rows]))
        g = _Group(fw, vids, keys, vignettes)
        vj = pd.Index(vids).get_indexer(vid_all[rows])
        suspect = _suspect(frames, rows, g, vj)
        keep = np.ones(len(rows), dtype=bool)
        for i in np.flatnonzero(suspect):
            r = rows[i]
            found = check_for_scoring(frames.objects[r], g.keys[vj[i]], fw, vignette=g.vignettes[vj[i]])
            if found:
                problems += found
                keep[i] = False
        rows, vj = rows[keep], vj[keep]
        if len(rows):
            _score_group(frames, rows, vj, g, scores, wide, columns, findings)
    empty = pd.DataFrame(
        {
            "row": pd.Series(dtype=np.int64),
            "finding": pd.Series(dtype=object),
            "item": pd.Series(dtype=object),
        }
    )
    table = pd.DataFrame(scores)
    table["ok"] = table["ok"] == 1.0
    return BatchScores(
        scores=table,
        difference=pd.DataFrame(wide["difference"], columns=columns),
        credit=pd.DataFrame(wide["credit"], columns=columns),
        exact=pd.DataFrame(wide["exact"], columns=columns),
        findings=pd.concat([empty, *findings], ignore_index=True) if findings else empty,
        problems=problems,
    )


def _score_group(
    frames: ResponseFrames,
    rows: np.ndarray,
    vj: np.ndarray,
    g: _Group,
    scores: dict[str, np.ndarray],
    wide: dict,
    columns: list[str],
    findings: list[pd.DataFrame],
) -> None:
    fw, n = g.fw, len(rows)
    meta = frames.responses.iloc[rows]
    out: dict[str, np.ndarray] = {}
    cols = np.arange(len(g.factors))
    # --- ratings: credit lookup, then column sums in framework order (as scoring._seq_sum).
    given = g.codes(frames.ratings, frames.insufficient, rows)
    has = g.has[vj]
    credit = np.where(has, g.credit[vj[:, None], cols[None, :], given], 0.0)
    exact = has & (given == g.expected_code[vj])
    given_val = np.where(given < g.k, g.scale[np.minimum(given, g.k - 1)], np.nan)
    diff = given_val - g.expected[vj]
    numeric = has & ~np.isnan(diff)
    within = exact | (numeric & (np.abs(np.where(numeric, diff, 0.0)) <= 1))
    n_key = has.sum(axis=1)
    acc = np.zeros(n)
    for c in cols:
        acc = acc + credit[:, c]
    out["ratings"] = _div(acc, n_key, 0.0)
    out["n_factors"], out["n_exact"], out["n_within"] = n_key, exact.sum(1), within.sum(1)
    out["exact_agreement"] = _div(out["n_exact"], n_key, 0.0)
    out["within_one"] = _div(out["n_within"], n_key, 0.0)
    kinds = np.array([fw.factor(f).kind for f in g.factors])
    for name, mask in (
        ("risk", kinds == "risk"),
        ("protective", kinds == "protective"),
        ("all", np.ones(len(kinds), dtype=bool)),
    ):
        sel = numeric & mask[None, :]
        total = np.where(sel, diff, 0.0).sum(axis=1)  # integer differences: any order is exact
        count = sel.sum(axis=1)
        out[f"bias_{name}"] = _div(total, count, np.nan)
        if name != "all":
            out[f"{name}_diff"], out[f"{name}_n"] = total, count
    present = [c for c, f in enumerate(g.factors) if f in columns]
    at = np.ix_(rows, np.array([columns.index(g.factors[c]) for c in present], dtype=np.intp))
    wide["credit"][at] = np.where(has, credit, np.nan)[:, present]
    wide["exact"][at] = np.where(has, exact, np.nan)[:, present]
    wide["difference"][at] = np.where(numeric, diff, np.nan)[:, present]

    # --- priorities (integer codes: local row * n_factors + factor position)
    local_of = np.full(len(frames), -1)
    local_of[rows] = np.arange(n)
    fidx = pd.Index(g.factors)
    pr = frames.priorities
    pl = local_of[pr["row"].to_numpy(dtype=np.int64)]
    sel = pl >= 0
    pl, pf = pl[sel], g.positions(pr, "factor", tuple(g.factors))[sel]
    key_prio = [fidx.get_indexer(list(dict.fromkeys(k.priorities))) for k in g.keys]
    is_key_prio = np.zeros((len(g.keys), len(g.factors)), dtype=bool)
    for j, codes in enumerate(key_prio):
        is_key_prio[j, codes[codes >= 0]] = True
    n_given = np.bincount(pl, minlength=n)
    hits = np.bincount(pl, weights=is_key_prio[vj[pl], pf], minlength=n)
    n_expected = np.array([len(set(k.priorities)) for k in g.keys])[vj]
    precision, recall = _div(hits, n_given, 1.0), _div(hits, n_expected, 1.0)
    denom = precision + recall
    f1 = _div(2 * precision * recall, denom, 0.0)
    level_ok = (
        meta["priority_level"].to_numpy() == np.array([k.priority_level for k in g.keys], dtype=object)[vj]
    )
    out.update(precision=precision, recall=recall, f1=f1, priority_level_correct=level_ok)
    shares = fw.plan_rubric.priorities
    out["priorities"] = shares["factors"] * f1 + shares["level"] * np.where(level_ok, 1.0, 0.0)
    prio = _Prio(local_of, fidx, pl, pf, n_given, key_prio)

    full = (meta["mode"] == "full").to_numpy()
    if full.any():
        _score_full(frames, rows, vj, g, meta, prio, full, out, findings)
    # --- total (as scoring.combine_parts: parts added in PARTS order, absent parts add 0.0)
    weights = fw.plan_rubric.components
    num, den = np.zeros(n), np.zeros(n)
    for part in PARTS:
        s = out.get(part)
        if s is None:
            continue
        asked = ~np.isnan(s)
        num = num + np.where(asked, weights[part] * np.where(asked, s, 0.0), 0.0)
        den = den + np.where(asked, weights[part], 0.0)
    out["total"] = np.where(den == 0, 0.0, 100.0 * _div(num, den, 0.0))
    out["ok"] = np.ones(n, dtype=bool)
    for name, values in out.items():
        scores[name][rows] = np.asarray(values, dtype=float)


@dataclass
class _Prio:
    local_of: np.ndarray  # frame row -> local row (-1 outside the group)
    fidx: pd.Index  # framework factor ids
    local: np.ndarray  # each given priority's local row
    factor: np.ndarray  # ... and factor position
    n_given: np.ndarray
    key: list[np.ndarray]  # key priorities' factor positions, per vignette


def _expand(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + length)`` for each pair, without a Python loop."""
    total = int(lengths.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets


def _score_full(frames, rows, vj, g: _Group, meta, prio: _Prio, full, out, findings) -> None:
    fw, n = g.fw, len(rows)
    rubric = fw.plan_rubric
    nan = np.full(n, np.nan)
    F = len(g.factors)
    found: list[tuple[np.ndarray, str, np.ndarray | str]] = []  # (local rows, finding, items)
    # --- level
    given = meta["risk_management_level"].to_numpy(dtype=object)
    expected = np.array([k.risk_management_level for k in g.keys], dtype=object)[vj]
    statics = [v.static_tool.category if v is not None else None for v in g.vignettes]
    # The matrix level of each (vignette, priority level) pair that occurs, looked up once per
    # pair. pandas may hold a missing level as None or NaN: only a string is a level.
    p_code, p_values = pd.factorize(meta["priority_level"].to_numpy(dtype=object))
    width = len(p_values) + 1
    pairs, pair_of_row = np.unique(vj * width + p_code + 1, return_inverse=True)
    levels = np.empty(len(pairs), dtype=object)
    for i, pair in enumerate(pairs.tolist()):
        s, pc = statics[pair // width], pair % width
        p = p_values[pc - 1] if pc else None
        levels[i] = fw.level_matrix[s][p] if s in fw.level_matrix and isinstance(p, str) else None
    matrix = levels[pair_of_row.reshape(-1)]
    has_given = pd.notna(given)
    unexplained = has_given & pd.notna(matrix) & (given != matrix) & ~meta["override"].to_numpy()
    position = {lv: i for i, lv in enumerate(fw.level_ids)}
    gi = pd.Index(fw.level_ids).get_indexer(given).astype(float)
    gi[gi < 0] = np.nan
    ei = np.array([position.get(k.risk_management_level, np.nan) for k in g.keys], dtype=float)[vj]
    base = np.where(given == expected, 1.0, np.where(np.abs(gi - ei) == 1, rubric.adjacent_credit, 0.0))
    base = np.where(has_given, base, 0.0)
    level = np.where(unexplained, base * rubric.unexplained_override_factor, base)
    out["level"] = np.where(full, level, nan)
    out["level_correct"] = np.where(full, given == expected, nan)
    out["unexplained_override"] = np.where(full, unexplained, nan)
    found.append((np.flatnonzero(full & unexplained), "unexplained_level_override", ""))

    # --- plan (keys: local row * n_interventions + intervention position)
    ids = [*fw.intervention_ids, "other"]
    iidx = pd.Index(ids)
    K = len(ids)
    acts = frames.actions
    al = prio.local_of[acts["row"].to_numpy(dtype=np.int64)]
    sel = al >= 0
    sel[sel] = full[al[sel]]
    al = al[sel]
    ai = g.positions(acts, "intervention", tuple(ids))[sel]
    apos = acts["position"].to_numpy(dtype=np.int64)[sel]
    afilled = acts["filled"].to_numpy(dtype=np.int64)[sel]
    anf = acts["n_factors"].to_numpy(dtype=np.int64)[sel]
    n_actions = np.bincount(al, minlength=n)
    # Membership through boolean tables indexed by the dense integer keys: np.isin/np.unique
    # on hundreds of thousands of keys cost seconds, a table lookup milliseconds.
    chosen = np.zeros(n * K, dtype=bool)
    chosen[al * K + ai] = True
    covered = np.zeros(n)
    n_contra = np.zeros(n)
    for j, key in enumerate(g.keys):
        here = np.flatnonzero((vj == j) & full)
        ess = iidx.get_indexer([e.intervention for e in key.plan.essential])
        present = chosen[here[:, None] * K + ess[None, :]]
        covered[here] = present.sum(axis=1)
        missing_rows, missing_cols = np.nonzero(~present)
        found.append(
            (here[missing_rows], "missing_essential", np.array(ids, dtype=object)[ess[missing_cols]])
        )
        contra = iidx.get_indexer(sorted({c.intervention for c in key.plan.contraindicated}))
        contra = contra[contra >= 0]
        hit = chosen[here[:, None] * K + contra[None, :]]
        n_contra[here] = hit.sum(axis=1)
        hit_rows, hit_cols = np.nonzero(hit)
        found.append((here[hit_rows], "contraindicated", np.array(ids, dtype=object)[contra[hit_cols]]))
    n_essential = np.array([len(k.plan.essential) for k in g.keys])[vj]
    # Addressed factors: those listed, else the catalogue's for the intervention.
    af = frames.action_factors
    fl = prio.local_of[af["row"].to_numpy(dtype=np.int64)]
    keep = fl >= 0
    keep[keep] = full[fl[keep]]
    fl, fpos = fl[keep], af["position"].to_numpy(dtype=np.int64)[keep]
    ff = g.positions(af, "factor", tuple(g.factors))[keep]
    catalogue = [
        prio.fidx.get_indexer(list(fw.intervention(i).factors))
        if i != "other"
        else np.array([], dtype=np.int64)
        for i in ids
    ]
    cat_len = np.array([len(c) for c in catalogue])
    cat_start = np.concatenate([[0], np.cumsum(cat_len)[:-1]])
    cat_flat = np.concatenate(catalogue).astype(np.int64)
    bare = anf == 0
    lengths = cat_len[ai[bare]]
    fallback = np.repeat(al[bare], lengths) * F + cat_flat[_expand(cat_start[ai[bare]], lengths)]
    addressed = np.zeros(n * F, dtype=bool)
    addressed[fl * F + ff] = True
    addressed[fallback] = True
    own = full[prio.local]
    borrowed_local, borrowed_factor = [], []
    for j, codes in enumerate(prio.key):
        here = np.flatnonzero((vj == j) & full & (prio.n_given == 0))
        codes = codes[codes >= 0]
        borrowed_local.append(np.repeat(here, len(codes)))
        borrowed_factor.append(np.tile(codes, len(here)))
    t_local = np.concatenate([prio.local[own], *borrowed_local]).astype(np.int64)
    t_factor = np.concatenate([prio.factor[own], *borrowed_factor]).astype(np.int64)
    n_targets = np.bincount(t_local, minlength=n)
    hit = addressed[t_local * F + t_factor]
    n_hit = np.bincount(t_local[hit], minlength=n)
    found.append((t_local[~hit], "unaddressed_priority", np.array(g.factors, dtype=object)[t_factor[~hit]]))
    required = sum(1 << ACTION_FIELDS.index(f) for f in rubric.complete_action_fields)
    complete = (afilled & required) == required
    n_incomplete = np.bincount(al[~complete], minlength=n)
    for name in rubric.complete_action_fields:
        lacking = np.zeros(n, dtype=bool)
        lacking[al[(afilled & (1 << ACTION_FIELDS.index(name))) == 0]] = True
        found.append((np.flatnonzero(lacking), "incomplete_action", name))
    protective = [c for c, f in enumerate(g.factors) if fw.factor(f).kind == "protective"]
    P = int(apos.max()) + 1 if len(apos) else 1
    is_protective = np.zeros(F, dtype=bool)
    is_protective[protective] = True
    linked_table = np.zeros(n * P, dtype=bool)
    linked_table[fl[is_protective[ff]] * P + fpos[is_protective[ff]]] = True
    linked = linked_table[al * P + apos]
    kinds = np.array([fw.intervention(i).kind if i != "other" else "" for i in ids])[ai]
    builds = np.array(
        [
            i != "other" and bool(set(fw.intervention(i).factors) & {g.factors[c] for c in protective})
            for i in ids
        ]
    )[ai]
    constructive_action = ((kinds == "both") & linked) | ((kinds == "constructive") & (linked | builds))
    constructive = np.bincount(al[constructive_action], minlength=n) > 0
    any_action = n_actions > 0
    found.append((np.flatnonzero(full & any_action & ~constructive), "no_constructive_for_protective", ""))
    found.append((np.flatnonzero(full & ~any_action), "no_actions", ""))
    shares = {
        "essential_covered": _div(covered, n_essential, 0.0),
        "priorities_addressed": _div(n_hit, n_targets, 1.0),
        "actions_complete": _div(n_actions - n_incomplete, n_actions, 0.0),
        "constructive_for_protective": np.where(constructive, 1.0, 0.0),
    }
    acc = np.zeros(n)
    for name in PLAN_SHARES:
        shares[name] = np.where(any_action, shares[name], 0.0)
        acc = acc + rubric.plan.get(name, 0.0) * shares[name]
    acc = acc - rubric.contraindicated_penalty * n_contra
    plan = np.minimum(1.0, np.maximum(0.0, acc))
    out["plan"] = np.where(full, plan, nan)
    for name in PLAN_SHARES:
        out[name] = np.where(full, shares[name], nan)
    out["n_actions"] = np.where(full, n_actions, nan)
    out["n_contraindicated"] = np.where(full, n_contra, nan)

    # --- follow-up
    has_fu = np.array([k.follow_up is not None for k in g.keys])[vj] & full
    if has_fu.any():
        codes = g.codes(frames.follow_up_ratings, frames.follow_up_insufficient, rows)
        cols = np.arange(len(g.factors))
        fu_has = g.fu_has[vj]
        credit = np.where(fu_has, g.fu_credit[vj[:, None], cols[None, :], codes], 0.0)
        acc = np.zeros(n)
        for c in cols:
            acc = acc + credit[:, c]
        ratings_score = _div(acc, fu_has.sum(1), 1.0)
        sig_exp = np.array(
            [float(k.follow_up.significant_change) if k.follow_up else np.nan for k in g.keys]
        )[vj]
        sig_ok = meta["fu_significant"].to_numpy() == sig_exp
        lvl_exp = np.array(
            [k.follow_up.risk_management_level if k.follow_up else None for k in g.keys], dtype=object
        )[vj]
        lvl_ok = meta["fu_level"].to_numpy(dtype=object) == lvl_exp
        total = ((0.0 + np.where(sig_ok, 1.0, 0.0)) + ratings_score) + np.where(lvl_ok, 1.0, 0.0)
        out["follow_up"] = np.where(has_fu, total / 3, nan)
        out["fu_significant_correct"] = np.where(has_fu, sig_ok, nan)
        out["fu_ratings"] = np.where(has_fu, ratings_score, nan)
        out["fu_level_correct"] = np.where(has_fu, lvl_ok, nan)
    else:
        sig_ok = np.ones(n, dtype=bool)

    found.append((np.flatnonzero(has_fu & ~sig_ok), "significant_change_misjudged", ""))
    local = np.concatenate([f[0] for f in found]).astype(np.int64)
    findings.append(
        pd.DataFrame(
            {
                "row": rows[local],
                "finding": np.concatenate([np.full(len(f[0]), f[1], dtype=object) for f in found]),
                "item": np.concatenate(
                    [
                        f[2] if isinstance(f[2], np.ndarray) else np.full(len(f[0]), f[2], dtype=object)
                        for f in found
                    ]
                ),
            }
        )
    )
