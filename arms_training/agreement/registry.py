"""The agreement statistics of the calibration reliability table, one record each.

A :class:`Statistic` says everything the package knows about one statistic: its id, the label
the tables print, its family, how to compute its value and its confidence interval, and how to
read the value (:class:`Bands`, with the note shown under the table and the source), or why
nothing reads it. The reliability table
(:func:`arms_training.calibration.reliability.reliability_table`) has one row per record and scope,
in registration order; the dashboard's ``ci_interpretation`` and ``bands`` columns, the report's
band notes and the reliability figure's shading are read from the record of each row's label.
Adding a statistic is therefore one :func:`register` call (plus its point and interval
functions); nothing else needs editing.

A record is checked when it is built: one without bands and without a reason for having none
raises ``ValueError``, and the built-in records are built when this module is imported, so such
a record fails the import instead of being read with kappa's bands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Literal, NamedTuple, get_args

import numpy as np

from arms_training.agreement.alpha import ALPHA_LEVELS, AlphaLevel, krippendorff_alpha
from arms_training.agreement.bootstrap import counts_ci, icc_ci, kappa_multinomial_ci
from arms_training.agreement.icc import icc, icc_layout
from arms_training.agreement.kappa import cohen_kappa, fleiss_kappa, gwet_ac
from arms_training.agreement.ratings import FloatArray, unit_counts
from arms_training.agreement.raw import percent_agreement

__all__ = [
    "Family",
    "Compares",
    "Band",
    "Bands",
    "LANDIS_KOCH",
    "KRIPPENDORFF",
    "KOO_LI",
    "Sample",
    "rated_sample",
    "complete_block",
    "rating_pairs",
    "Options",
    "Statistic",
    "REGISTRY",
    "register",
    "unregister",
    "statistic",
    "statistics",
    "statistic_for_label",
    "interpret",
    "interpret_interval",
    "band_note",
    "band_notes",
]

Family = Literal["kappa", "alpha", "icc", "raw"]
Compares = Literal["assessors", "key"]
# Band edges are compared with this slack so that a value that is a boundary in exact
# arithmetic (0.6 computed as 0.6000000000000001) lands in the band the table prints it in.
_EDGE_SLACK = 1e-9


# ----------------------------------------------------------------------------------- bands


class Band(NamedTuple):
    """One word of a reading and the upper edge of the values it covers.

    ``closed``: a value equal to ``upper`` is read as this band (Landis & Koch's .20 is
    "slight"); otherwise it belongs to the next band (Koo & Li's .50 is "moderate", not "poor").
    """

    upper: float
    word: str
    closed: bool = True


@dataclass(frozen=True)
class Bands:
    """An accepted reading of a statistic: ordered bands, the note printed under the table
    (it names the source briefly) and the full citation."""

    edges: tuple[Band, ...]
    note: str
    source: str

    def __post_init__(self) -> None:
        uppers = [b.upper for b in self.edges]
        words = [b.word for b in self.edges]
        last = self.edges[-1] if self.edges else Band(math.nan, "")
        problems = [
            (not self.edges, "no band"),
            (
                any(not w for w in words) or len(set(words)) != len(words),
                "words must be non-empty and unique",
            ),
            (any(hi <= lo for lo, hi in zip(uppers, uppers[1:], strict=False)), "upper edges must increase"),
            # Every statistic here is at most 1, so the last band must take 1 itself.
            ((last.upper, last.closed) != (1.0, True), "the last band must end at 1, closed"),
            (not self.note or not self.source, "the note and the source are required"),
        ]
        for failed, message in problems:
            if failed:
                raise ValueError(f"bands {words}: {message}")

    def word(self, value: float) -> str:
        """The band ``value`` (at most 1) falls in."""
        for band in self.edges:
            inside = value <= band.upper + _EDGE_SLACK if band.closed else value < band.upper - _EDGE_SLACK
            if inside:
                return band.word
        return self.edges[-1].word

    def spans(self, floor: float = -1.0) -> list[tuple[float, float]]:
        """``(low, high)`` of each band, the first starting at ``floor`` (for shading)."""
        uppers = [b.upper for b in self.edges]
        return list(zip([floor, *uppers[:-1]], uppers, strict=True))


LANDIS_KOCH = Bands(
    (
        Band(0.0, "poor", closed=False),
        Band(0.20, "slight"),
        Band(0.40, "fair"),
        Band(0.60, "moderate"),
        Band(0.80, "substantial"),
        Band(1.0, "almost perfect"),
    ),
    note="Landis & Koch (1977): < 0 poor, .00-.20 slight, .21-.40 fair, .41-.60 moderate, "
    ".61-.80 substantial, .81-1 almost perfect",
    source="Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for "
    "categorical data. Biometrics 33, 159-174.",
)
KRIPPENDORFF = Bands(
    (Band(0.667, "unreliable", closed=False), Band(0.800, "tentative", closed=False), Band(1.0, "reliable")),
    note="Krippendorff (2004): >= .800 reliable; .667-.800 tentative conclusions only; < .667 unreliable",
    source="Krippendorff, K. (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed., "
    "p. 241. Sage.",
)
KOO_LI = Bands(
    (
        Band(0.50, "poor", closed=False),
        Band(0.75, "moderate", closed=False),
        Band(0.90, "good"),
        Band(1.0, "excellent"),
    ),
    note="Koo & Li (2016), judged on the 95% CI: < .50 poor, .50-.75 moderate, .75-.90 good, > .90 excellent",
    source="Koo, T. K., & Li, M. Y. (2016). A guideline of selecting and reporting intraclass "
    "correlation coefficients for reliability research. J. Chiropr. Med. 15, 155-163.",
)


# ---------------------------------------------------------------------- what is computed


@dataclass(frozen=True, eq=False)
class Sample:
    """The ratings one row of the reliability table is computed on, and what the row reports
    about them (``n_units``, ``n_raters``, a ``note`` on how they were chosen)."""

    ratings: FloatArray
    levels: FloatArray
    n_units: int
    n_raters: int
    note: str = ""

    @cached_property
    def counts(self) -> np.ndarray:
        """``(units, values)`` value counts over ``levels``, for the vectorised bootstrap."""
        return unit_counts(self.ratings, self.levels)


def rated_sample(matrix: FloatArray, levels: FloatArray) -> Sample:
    """The whole ``(units, raters)`` matrix; ``n_units`` counts units with at least two
    ratings, ``n_raters`` raters with at least one."""
    rated = ~np.isnan(matrix)
    return Sample(matrix, levels, int((rated.sum(axis=1) >= 2).sum()), int(rated.any(axis=0).sum()))


def complete_block(matrix: FloatArray, levels: FloatArray) -> Sample:
    """The largest complete block (:func:`~arms_training.agreement.icc.icc_layout`), said in the
    note: for statistics that need every rater to rate every unit, such as ICC."""
    block, note = icc_layout(matrix)
    return Sample(block, levels, block.shape[0], block.shape[1], note)


def rating_pairs(matrix: FloatArray, levels: FloatArray) -> Sample:
    """``(rating, key rating)`` rows, both numeric: every row a unit, the rater and the key the
    two raters."""
    return Sample(matrix, levels, matrix.shape[0], 2)


@dataclass(frozen=True)
class Options:
    """The settings a statistic may use: the Krippendorff level and the bootstrap's."""

    level: AlphaLevel = "ordinal"
    n_boot: int = 1000
    confidence: float = 0.95
    seed: int | None = 0

    @property
    def boot(self) -> dict:
        return {"n_boot": self.n_boot, "confidence": self.confidence, "seed": self.seed}


# ------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Statistic:
    """One agreement statistic of the reliability table.

    Attributes
    ----------
    id : str
        How code names it (``interpret("icc_2_1", v)``).
    label : str
        The table's ``statistic`` column; ``{level}`` is replaced by the Krippendorff level.
    family : {"kappa", "alpha", "icc", "raw"}
        Chance-corrected agreement on categories, Krippendorff's alpha, intraclass correlation,
        or agreement not corrected for chance.
    point : callable
        ``point(sample, options) -> float``; raises ``AgreementError`` where undefined.
    interval : callable or None
        ``interval(sample, options) -> (low, high)``; ``None``: the table gives no interval.
    bands : Bands, optional
        The accepted reading of the value.
    no_band : str, optional
        Why no band reads it; exactly one of ``bands`` and ``no_band`` is given.
    description : str
        Said before the band note (which ICC form, say).
    compares : {"assessors", "key"}
        Agreement among assessors (a row in every scope) or of each rating with the key's
        (a row in each cohort scope, on ``(rating, key rating)`` pairs).
    sample : callable
        ``sample(matrix, levels) -> Sample``: which part of the ratings it is computed on.
    """

    id: str
    label: str
    family: Family
    point: Callable[[Sample, Options], float]
    interval: Callable[[Sample, Options], tuple[float, float]] | None
    bands: Bands | None = None
    no_band: str | None = None
    description: str = ""
    compares: Compares = "assessors"
    sample: Callable[[FloatArray, FloatArray], Sample] = rated_sample

    def __post_init__(self) -> None:
        if (self.bands is None) == (self.no_band is None) or self.no_band == "":
            raise ValueError(
                f"statistic {self.id!r}: give either bands or a no_band reason (why no accepted band "
                "reads it), not both and not neither; it would otherwise be read with another "
                "statistic's bands"
            )
        if not self.id or not self.label:
            raise ValueError(f"statistic {self.id!r}: id and label are required")
        if self.family not in get_args(Family):
            raise ValueError(f"statistic {self.id!r}: family={self.family!r}; allowed: {get_args(Family)}")
        if self.compares not in get_args(Compares):
            raise ValueError(
                f"statistic {self.id!r}: compares={self.compares!r}; allowed: {get_args(Compares)}"
            )
        try:
            self.label.format(level="ordinal")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                f"statistic {self.id!r}: label={self.label!r} may use no placeholder but {{level}}"
            ) from None

    def label_for(self, options: Options) -> str:
        return self.label.format(level=options.level)

    @property
    def labels(self) -> frozenset[str]:
        """Every label the tables can print for it."""
        return frozenset(self.label.format(level=level) for level in ALPHA_LEVELS)

    @property
    def band_note(self) -> str:
        reading = self.bands.note if self.bands is not None else f"no accepted band ({self.no_band})"
        return " ".join(x for x in (self.description, reading) if x)

    def interpret(self, value: float) -> str:
        """The band word for ``value`` (at most 1), ``""`` for a statistic without bands.

        Raises ``ValueError`` for NaN or a value above 1."""
        value = float(value)
        if math.isnan(value) or value > 1.0 + _EDGE_SLACK:
            raise ValueError(f"value={value!r} is not valid for {self.id}; allowed: a number <= 1")
        return "" if self.bands is None else self.bands.word(value)

    def interpret_interval(self, low: float, high: float) -> str:
        """Both ends of an interval read against the bands: ``"fair"`` or ``"fair to
        substantial"``; ``""`` without bands or an interval."""
        if self.bands is None or math.isnan(low) or math.isnan(high):
            return ""
        a, b = self.interpret(min(low, 1.0)), self.interpret(min(high, 1.0))
        return a if a == b else f"{a} to {b}"


_RECORDS: dict[str, Statistic] = {}
REGISTRY: Mapping[str, Statistic] = MappingProxyType(_RECORDS)


def register(record: Statistic) -> Statistic:
    """Add ``record`` after the others (the table's row order); its id and labels must be new."""
    if not isinstance(record, Statistic):
        raise TypeError(f"register needs a Statistic, got {type(record).__name__}")
    if record.id in _RECORDS:
        raise ValueError(f"statistic {record.id!r} is already registered")
    taken = record.labels & {label for other in _RECORDS.values() for label in other.labels}
    if taken:
        raise ValueError(f"statistic {record.id!r}: label {sorted(taken)[0]!r} is already used")
    _RECORDS[record.id] = record
    return record


def unregister(id: str) -> Statistic:
    """Remove and return the record ``id`` (tests that register one use it to clean up)."""
    return _RECORDS.pop(statistic(id).id)


def statistic(id: str) -> Statistic:
    """The record ``id``; ``ValueError`` naming the registered ids if there is none."""
    try:
        return _RECORDS[id]
    except (KeyError, TypeError):
        raise ValueError(f"statistic={id!r} is not registered; allowed: {', '.join(_RECORDS)}") from None


def statistics(compares: Compares | None = None) -> tuple[Statistic, ...]:
    """The records in registration order, optionally those comparing ``compares``."""
    return tuple(r for r in _RECORDS.values() if compares is None or r.compares == compares)


def statistic_for_label(label: str) -> Statistic:
    """The record whose table label is ``label`` (exactly, e.g. ``"krippendorff_alpha (ordinal)"``)."""
    for record in _RECORDS.values():
        if label in record.labels:
            return record
    raise ValueError(f"no registered statistic has the label {label!r}")


def interpret(id: str, value: float) -> str:
    """:meth:`Statistic.interpret` of the record ``id``.

    Bands: kappa family and AC (Landis & Koch 1977) ``< 0`` "poor", ``0-0.20`` "slight",
    ``(0.20-0.40]`` "fair", ``(0.40-0.60]`` "moderate", ``(0.60-0.80]`` "substantial",
    ``(0.80-1]`` "almost perfect"; ICC (Koo & Li 2016) ``< 0.50`` "poor", ``[0.50, 0.75)``
    "moderate", ``[0.75, 0.90]`` "good", ``> 0.90`` "excellent"; Krippendorff's alpha
    (Krippendorff 2004) ``>= 0.800`` "reliable", ``[0.667, 0.800)`` "tentative", ``< 0.667``
    "unreliable"; percent agreement: no accepted band, ``""``.
    """
    return statistic(id).interpret(value)


def interpret_interval(id: str, low: float, high: float) -> str:
    """:meth:`Statistic.interpret_interval` of the record ``id``."""
    return statistic(id).interpret_interval(low, high)


def band_note(id: str) -> str:
    """The note on the record's bands (or on why it has none), as printed under the table."""
    return statistic(id).band_note


def band_notes(labels: Iterable[str]) -> list[str]:
    """The band notes of the statistics with these table labels, each once, in order."""
    return list(dict.fromkeys(statistic_for_label(label).band_note for label in labels))


# ------------------------------------------------------------------------ the statistics

register(
    Statistic(
        id="krippendorff_alpha",
        label="krippendorff_alpha ({level})",
        family="alpha",
        point=lambda s, o: krippendorff_alpha(s.ratings, level=o.level, categories=s.levels),
        interval=lambda s, o: counts_ci(
            "krippendorff_alpha", s.counts, level=o.level, levels=s.levels, **o.boot
        ),
        bands=KRIPPENDORFF,
    )
)
register(
    Statistic(
        id="fleiss_kappa",
        label="fleiss_kappa",
        family="kappa",
        point=lambda s, o: fleiss_kappa(s.ratings, categories=s.levels),
        interval=lambda s, o: counts_ci("fleiss_kappa", s.counts, **o.boot),
        bands=LANDIS_KOCH,
    )
)
register(
    Statistic(
        id="percent_agreement",
        label="percent_agreement",
        family="raw",
        point=lambda s, o: percent_agreement(s.ratings),
        interval=lambda s, o: counts_ci("percent_agreement", s.counts, **o.boot),
        no_band="not corrected for chance",
    )
)
# AC1 resists kappa's prevalence paradox when ratings cluster on a few values.
register(
    Statistic(
        id="gwet_ac1",
        label="gwet_ac1",
        family="kappa",
        point=lambda s, o: gwet_ac(s.ratings, categories=s.levels),
        interval=lambda s, o: counts_ci("gwet_ac1", s.counts, **o.boot),
        bands=LANDIS_KOCH,
    )
)
register(
    Statistic(
        id="icc_2_1",
        label="icc(2,1)",
        family="icc",
        point=lambda s, o: icc(s.ratings, form="2,1"),
        interval=lambda s, o: icc_ci(s.ratings, **o.boot),
        bands=KOO_LI,
        description="ICC(2,1): two-way random effects, absolute agreement, single rater "
        "(Shrout & Fleiss 1979).",
        sample=complete_block,
    )
)
register(
    Statistic(
        id="cohen_kappa_vs_key",
        label="cohen_kappa_vs_key (linear)",
        family="kappa",
        point=lambda s, o: cohen_kappa(
            s.ratings[:, 0], s.ratings[:, 1], weights="linear", categories=s.levels
        ),
        interval=lambda s, o: kappa_multinomial_ci(
            s.ratings[:, 0], s.ratings[:, 1], s.levels, weights="linear", **o.boot
        ),
        bands=LANDIS_KOCH,
        compares="key",
        sample=rating_pairs,
    )
)
