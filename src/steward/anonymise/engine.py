"""``anonymise``: the optimal full-domain generalisation of any table under privacy models."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from steward.anonymise.discernibility import DiscernibilitySearch
from steward.anonymise.encoding import EncodedTable, record_classes
from steward.anonymise.hierarchy import SUPPRESSED, Hierarchy, HierarchyError
from steward.anonymise.models import (
    Check,
    KAnonymity,
    LDiversity,
    MaxProsecutorRisk,
    PrivacyModel,
    SensitiveContext,
    TCloseness,
)
from steward.anonymise.risk import RiskReport, risk_from_sizes
from steward.anonymise.search import Lattice, SearchOutcome, run_search
from steward.anonymise.sizes import ClassSizes, fits_in_keys
from steward.anonymise.utility import METRICS, UnknownMetric, UtilityMeasures
from steward.errors import Location, UserError

# The lattice is held as arrays (levels, tags); beyond this many nodes it would not fit well.
MAX_LATTICE = 2_000_000


class AnonymisationError(UserError):
    """The anonymisation asked for cannot be done on this table."""

    exit_code = 13


@dataclass(frozen=True)
class AnonymisationResult:
    """The chosen generalisation, the anonymised table and what it cost in utility and time."""

    levels: dict[str, int]
    table: pd.DataFrame
    metrics: dict[str, float]
    suppressed: int
    classes: int
    risk: RiskReport
    nodes_checked: int
    lattice_size: int
    seconds: float
    optimal: bool
    metric: str = "dm"
    suppression_limit: float = 0.0
    models: list[dict[str, object]] = field(default_factory=list)
    # True for each record (in input order) whose quasi-identifiers were all suppressed.
    suppressed_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def report(self) -> dict[str, Any]:
        """The JSON report: levels, utility, suppression, search effort and output risk."""
        return {
            "records": len(self.table),
            "metric": self.metric,
            "suppression_limit": self.suppression_limit,
            "levels": self.levels,
            **self.metrics,
            "suppressed": self.suppressed,
            "classes": self.classes,
            "nodes_checked": self.nodes_checked,
            "lattice_size": self.lattice_size,
            "seconds": self.seconds,
            "optimal": self.optimal,
            "models": self.models,
            "risk": self.risk.as_dict(),
        }


def anonymise(
    data: pd.DataFrame | Any,
    quasi_identifiers: Mapping[str, Hierarchy],
    *,
    sensitive: str | None = None,
    models: Sequence[PrivacyModel],
    suppression_limit: float = 0.0,
    metric: str = "dm",
    time_limit: float | None = None,
    sampling_fraction: float = 1.0,
    risk_threshold: float = 0.2,
    source: str | None = None,
) -> AnonymisationResult:
    """Find the generalisation with the best ``metric`` that satisfies every model.

    ``data`` is a pandas DataFrame or an Arrow table; every quasi-identifier needs a hierarchy
    covering all its values. Classes that fail a model are suppressed (all quasi-identifiers
    become ``*``) as long as at most ``suppression_limit`` of the records are. With
    ``time_limit`` (seconds) the search returns the best node found so far when time runs out
    (``optimal`` is then False). ``source`` names the input file in error messages.
    """
    started = time.perf_counter()
    frame = data if isinstance(data, pd.DataFrame) else data.to_pandas()
    _check_request(frame, quasi_identifiers, sensitive, models, suppression_limit, metric, source)
    names = list(quasi_identifiers)
    lattice_size = math.prod(h.height for h in quasi_identifiers.values())
    if lattice_size > MAX_LATTICE:
        raise AnonymisationError(
            what=(
                f"The {len(names)} quasi-identifiers give {lattice_size:,} combinations of "
                f"levels, more than the {MAX_LATTICE:,} the search holds in memory"
            ),
            fix="Use fewer quasi-identifiers or hierarchies with fewer levels.",
            where=Location(file=source),
        )
    record_codes, level_maps = _encode(frame, quasi_identifiers, source)
    context, sensitive_codes = _sensitive(frame, sensitive, models, source)
    table = EncodedTable(
        record_codes, level_maps, sensitive_codes, len(context.labels) if context else 0
    )
    utility = UtilityMeasures(table, record_codes)
    n = len(frame)
    max_suppressed = math.floor(suppression_limit * n + 1e-9)
    monotone = max_suppressed == 0 or all(m.monotone_with_suppression() for m in models)
    checks = [m.checker(context) for m in models]
    if (
        metric == "dm"
        and max_suppressed > 0
        and monotone
        and context is None
        and fits_in_keys(table)
    ):
        # Models judge class sizes only: the two-sided DM bounds apply.
        outcome = _discernibility_search(table, checks, models, max_suppressed, time_limit)
    else:
        outcome = run_search(
            table,
            checks,
            monotone=monotone,
            max_suppressed=max_suppressed,
            utility=utility,
            metric=metric,
            time_limit=time_limit,
        )
    if outcome.best is None:
        if outcome.complete:
            raise AnonymisationError(
                what=(
                    "No generalisation satisfies the privacy models with at most "
                    f"{max_suppressed} of {n} records suppressed"
                ),
                fix="Relax a model (smaller k or l, larger t or risk threshold) or allow more "
                "suppression with --suppression.",
                where=Location(file=source),
            )
        raise AnonymisationError(
            what=f"No solution was found within the time limit of {time_limit} s",
            fix="Allow more time, or use fewer quasi-identifiers or shorter hierarchies.",
            where=Location(file=source),
        )
    best = outcome.best
    node_frame = table.frame_of(best)
    kept = np.ones(len(node_frame.sizes), dtype=bool)
    for check in checks:
        kept &= check(node_frame.view)
    record_class = record_classes(table, node_frame)
    suppressed_records = ~kept[record_class]
    generalised = {}
    for i, name in enumerate(names):
        labels = np.asarray(quasi_identifiers[name].level(best[i]), dtype=object)
        column = labels[record_codes[i]]
        column[suppressed_records] = SUPPRESSED
        generalised[name] = column
    if frame.columns.is_unique:
        # One new frame rather than a copy with columns replaced one by one (each a block copy).
        output = pd.DataFrame(
            {c: generalised[c] if c in generalised else frame[c] for c in frame.columns},
            index=frame.index,
        )
    else:
        output = frame.copy()
        for name, column in generalised.items():
            output[name] = column
    metrics = {m: utility.score(m, node_frame, kept) for m in METRICS}
    # The output's classes are the kept classes plus one of all-"*" suppressed records (which
    # joins the kept class when every quasi-identifier is fully generalised anyway).
    output_sizes = node_frame.sizes[kept]
    if suppressed_records.any():
        at_top = all(level == h - 1 for level, h in zip(best, table.heights, strict=True))
        extra = int(suppressed_records.sum())
        output_sizes = np.array([len(frame)]) if at_top else np.append(output_sizes, extra)
    risk = risk_from_sizes(
        output_sizes, sampling_fraction=sampling_fraction, threshold=risk_threshold
    )
    return AnonymisationResult(
        levels={name: int(level) for name, level in zip(names, best, strict=True)},
        table=output,
        metrics=metrics,
        suppressed=int(suppressed_records.sum()),
        classes=int(kept.sum()),
        risk=risk,
        nodes_checked=outcome.nodes_checked,
        lattice_size=outcome.lattice_size,
        seconds=time.perf_counter() - started,
        optimal=outcome.complete,
        metric=metric,
        suppression_limit=suppression_limit,
        models=[m.describe() for m in models],
        suppressed_rows=suppressed_records,
    )


def _discernibility_search(
    table: EncodedTable,
    checks: list[Check],
    models: Sequence[PrivacyModel],
    max_suppressed: int,
    time_limit: float | None,
) -> SearchOutcome:
    """The DM optimum under a suppression limit, for models that look at class sizes only."""
    lattice = Lattice(table.heights)
    # The smallest size a kept class can have: every k-anonymity model must hold.
    smallest = max([m.k for m in models if isinstance(m, KAnonymity)], default=1)
    sizes = ClassSizes(table, lattice.shape, lattice.strides)
    search = DiscernibilitySearch(
        sizes,
        lattice,
        checks,
        n=table.n,
        max_suppressed=max_suppressed,
        min_class_size=smallest,
        time_limit=time_limit,
    )
    return search.run()


def _check_request(
    frame: pd.DataFrame,
    quasi_identifiers: Mapping[str, Hierarchy],
    sensitive: str | None,
    models: Sequence[PrivacyModel],
    suppression_limit: float,
    metric: str,
    source: str | None,
) -> None:
    where = Location(file=source)
    n = len(frame)
    if n == 0:
        raise AnonymisationError(
            what="The table has no records", fix="Give a table with at least one record.",
            where=where,
        )  # fmt: skip
    if not quasi_identifiers:
        raise AnonymisationError(
            what="No quasi-identifier was given",
            fix="Name at least one column to generalise, with its hierarchy (--qi COL=FILE).",
            where=where,
        )
    columns = [str(c) for c in frame.columns]
    for name in [*quasi_identifiers, *([sensitive] if sensitive else [])]:
        if name not in frame.columns:
            raise AnonymisationError(
                what=f"The table has no column {name!r}",
                fix=f"Use one of its columns: {', '.join(columns)}.",
                where=Location(file=source, column=name),
            )
    if sensitive is not None and sensitive in quasi_identifiers:
        raise AnonymisationError(
            what=f"{sensitive!r} is both a quasi-identifier and the sensitive attribute",
            fix="A column is either generalised (--qi) or protected (--sensitive), not both.",
            where=Location(file=source, column=sensitive),
        )
    if metric not in METRICS:
        raise UnknownMetric(metric)
    if not 0.0 <= suppression_limit <= 1.0:
        raise AnonymisationError(
            what=f"The suppression limit {suppression_limit} is not between 0 and 1",
            fix="Give the largest share of records that may be suppressed, e.g. 0.05.",
            where=where,
        )
    if not models:
        raise AnonymisationError(
            what="No privacy model was given", fix="Give at least --k.", where=where
        )
    for model in models:
        _check_model(model, frame, sensitive, n, where)


def _check_model(
    model: PrivacyModel, frame: pd.DataFrame, sensitive: str | None, n: int, where: Location
) -> None:
    if isinstance(model, KAnonymity):
        if model.k < 1:
            raise AnonymisationError(
                what=f"k must be at least 1, not {model.k}", fix="Give --k 2 or more.", where=where
            )
        if model.k > n:
            raise AnonymisationError(
                what=f"k = {model.k} is larger than the table ({n} records)",
                fix=f"Choose k of at most {n}, or anonymise a larger table.",
                where=where,
            )
    if isinstance(model, MaxProsecutorRisk) and not 0 < model.threshold <= 1:
        raise AnonymisationError(
            what=f"The risk threshold {model.threshold} is not in (0, 1]",
            fix="Give the highest acceptable re-identification probability, e.g. 0.2.",
            where=where,
        )
    if model.needs_sensitive and sensitive is None:
        raise AnonymisationError(
            what=f"{model.describe()['model']} needs a sensitive attribute",
            fix="Name the sensitive column with --sensitive COLUMN.",
            where=where,
        )
    if isinstance(model, LDiversity):
        assert sensitive is not None
        distinct = frame[sensitive].astype(str).nunique()
        if model.l < 1:
            raise AnonymisationError(
                what=f"l must be at least 1, not {model.l}", fix="Give --l 2 or more.", where=where
            )
        if model.l > distinct:
            raise AnonymisationError(
                what=(
                    f"l = {model.l} is impossible: {sensitive!r} has only {distinct} distinct "
                    "values in the whole table"
                ),
                fix=f"Choose l of at most {distinct}.",
                where=Location(file=where.file, column=sensitive),
            )
        if model.variant == "recursive" and (model.c is None or model.c <= 0):
            raise AnonymisationError(
                what="Recursive (c,l)-diversity needs a positive c",
                fix="Give --c, e.g. --c 3.",
                where=where,
            )
    if isinstance(model, TCloseness) and not 0 <= model.t <= 1:
        raise AnonymisationError(
            what=f"t = {model.t} is not between 0 and 1", fix="Give --t such as 0.2.", where=where
        )


def _encode(
    frame: pd.DataFrame, quasi_identifiers: Mapping[str, Hierarchy], source: str | None
) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Record codes (hierarchy rows) and level maps for every quasi-identifier."""
    record_codes: list[np.ndarray] = []
    level_maps: list[list[np.ndarray]] = []
    for name, hierarchy in quasi_identifiers.items():
        positions = hierarchy.positions(frame[name])
        missing = np.flatnonzero(positions < 0)
        if len(missing):
            first = int(missing[0])
            value = frame[name].iloc[first]
            raise HierarchyError(
                what=(
                    f"The hierarchy of {name!r} does not cover the value {value!r} "
                    f"({len(missing)} record(s) affected)"
                ),
                fix=f"Add a row for {value!r} to the hierarchy of {name!r}, or correct the data.",
                # A file's first row is its header, so record i is on row i + 2.
                where=Location(file=source, row=first + 2 if source else first + 1, column=name),
            )
        maps = [np.arange(len(hierarchy.rows), dtype=np.int64)]
        for level in range(1, hierarchy.height):
            _, codes = np.unique(np.asarray(hierarchy.level(level), dtype=str), return_inverse=True)
            maps.append(codes.ravel().astype(np.int64))
        record_codes.append(positions)
        level_maps.append(maps)
    return record_codes, level_maps


def _sensitive(
    frame: pd.DataFrame,
    sensitive: str | None,
    models: Sequence[PrivacyModel],
    source: str | None,
) -> tuple[SensitiveContext | None, np.ndarray | None]:
    """Codes and whole-table distribution of the sensitive attribute, if models need it."""
    if sensitive is None or not any(m.needs_sensitive for m in models):
        return None, None
    codes, labels = pd.factorize(frame[sensitive].astype(str), sort=True)
    distribution = np.bincount(codes, minlength=len(labels)) / len(frame)
    return SensitiveContext(list(map(str, labels)), distribution), codes.astype(np.int64)
