"""``write_national``: statutory returns and NPD extracts for every English LA, 2019–2025.

For each LA (``ENGLISH_LOCAL_AUTHORITIES``, or the first ``las`` of them) and collection year:

- ``{slug}/cin_census_{year}.xml``: the CIN census;
- ``{slug}/{code}_{table}_mar{year}.csv``: the SSDA903 header, episodes, uasc, reviews and
  missing tables (ingest reads the LA code and the month, March, from the name);
- ``npd/{slug}_absence_3term.csv``, ``npd/{slug}_school_census_fsm.csv`` (and with ``key``,
  ``npd/{slug}_pmr_lookup.csv``) for the LA's pupils; ``npd_truth/{slug}_pupils.csv``.

Volumes are national: about 650,000 referrals and 80,000 children looked after a year across
England, shared between LAs by a fixed size weight (``la_weights``) and scaled by ``fraction``.
Each LA is drawn from its own generator seeded by ``seed`` and its code, so the files are the
same whatever the number of processes or the order they finish in. LAs are written by a pool
of two processes, largest first; each holds one LA at a time, so memory does not grow with
the number of LAs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from steward.errors import ConfigError
from steward.study.local_authorities import ENGLISH_LOCAL_AUTHORITIES, LocalAuthority
from steward.synth.national_903 import draw_care, write_903_year
from steward.synth.national_cin import write_cin_year
from steward.synth.national_npd import write_npd_la
from steward.synth.national_people import draw_people

NATIONAL_REFERRALS = 650_000  # a year, England
NATIONAL_LOOKED_AFTER = 80_000  # during a year, England
YEARS = range(2019, 2026)  # collection years (ending 31 March)
WORKERS = 2
# Large shire counties and cities get a larger share; the City of London and the Isles of
# Scilly have a handful of children each.
_LARGE = frozenset(
    {"330", "383", "352", "886", "881", "888", "850", "936", "919", "925", "926", "878", "916",
     "830", "891", "855", "860", "885", "931", "935", "938", "845", "873", "908", "815", "840",
     "373", "380", "341", "937", "933", "865", "838"}
)  # fmt: skip
_TINY = {"201": 0.01, "420": 0.01, "857": 0.2}

LaDone = Callable[[Path, int, int], None]


def la_weights(las: Sequence[LocalAuthority]) -> np.ndarray:
    """Each LA's share of England's children's social care activity (fixed, sums to 1 over
    all 153 LAs; a subset keeps the shares it has nationally)."""
    rng = np.random.default_rng(20190401)  # fixed: LA sizes do not change with the seed
    raw = {la.code: w for la, w in zip(ENGLISH_LOCAL_AUTHORITIES,
                                       rng.lognormal(0.0, 0.35, len(ENGLISH_LOCAL_AUTHORITIES)),
                                       strict=True)}  # fmt: skip
    for code in raw:
        raw[code] *= 2.6 if code in _LARGE else _TINY.get(code, 1.0)
    total = sum(raw.values())
    return np.array([raw[la.code] / total for la in las])


@dataclass
class LaCounts:
    """What was written for one LA."""

    slug: str
    files: int
    bytes: int
    referrals: dict[int, int]  # collection year -> referrals made in the year
    cin_children: dict[int, int]  # collection year -> children in the census
    looked_after: dict[int, int]  # collection year -> children looked after in the year
    absence_rows: int


@dataclass
class NationalResult:
    """Totals of a national synthetic run."""

    out: Path
    las: list[LaCounts] = field(default_factory=list)

    def total(self, name: str) -> dict[int, int]:
        """``referrals``, ``cin_children`` or ``looked_after`` summed over LAs, by year."""
        sums: dict[int, int] = {}
        for la in self.las:
            for year, value in getattr(la, name).items():
                sums[year] = sums.get(year, 0) + value
        return dict(sorted(sums.items()))

    @property
    def files(self) -> int:
        return sum(la.files for la in self.las)

    @property
    def bytes(self) -> int:
        return sum(la.bytes for la in self.las)


@dataclass(frozen=True)
class _LaJob:
    la: LocalAuthority
    weight: float
    out: Path
    seed: int
    years: tuple[int, ...]
    fraction: float
    key: bytes | None


def _write_la(job: _LaJob) -> LaCounts:
    rng = np.random.default_rng([job.seed, int(job.la.code)])
    first, last = min(job.years), max(job.years)
    people = draw_people(
        job.la.code,
        referrals_per_year=NATIONAL_REFERRALS * job.weight * job.fraction,
        looked_after_per_year=NATIONAL_LOOKED_AFTER * job.weight * job.fraction,
        first_year=first,
        last_year=last,
        rng=rng,
    )
    care = draw_care(people, rng, window_end=dt.date(last, 3, 31).toordinal())
    folder = job.out / job.la.slug
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    referrals, cin_children, looked_after = {}, {}, {}
    for year in job.years:
        path, cin_children[year], referrals[year] = write_cin_year(
            people, folder / f"cin_census_{year}.xml", year
        )
        tables, looked_after[year] = write_903_year(people, care, folder, year)
        paths += [path, *tables.values()]
    npd, absence_rows = write_npd_la(
        people, job.out, job.la.slug, academic_years=range(first - 2, last),
        rng=np.random.default_rng([job.seed, int(job.la.code), 3]), key=job.key,
    )  # fmt: skip
    paths += list(npd.values())
    return LaCounts(
        slug=job.la.slug,
        files=len(paths),
        bytes=sum(p.stat().st_size for p in paths),
        referrals=referrals,
        cin_children=cin_children,
        looked_after=looked_after,
        absence_rows=absence_rows,
    )


def write_national(
    out: Path,
    *,
    seed: int,
    las: int | None = None,
    years: Sequence[int] = YEARS,
    fraction: float = 1.0,
    key: bytes | None = None,
    on_file: LaDone | None = None,
    workers: int = WORKERS,
) -> NationalResult:
    """Write the national synthetic returns under ``out`` (see the module notes).

    ``las`` takes the first N LAs of ``ENGLISH_LOCAL_AUTHORITIES``; ``fraction`` scales every
    volume (tests use a small one); ``key``, a workspace's pseudonym key, adds the PMR
    lookups; ``on_file(folder, done, total)`` is called as each LA is finished.
    """
    chosen = list(ENGLISH_LOCAL_AUTHORITIES)
    if las is not None:
        if not 1 <= las <= len(chosen):
            raise ConfigError(
                what=f"--las {las} is not a number of English local authorities",
                fix=f"Give a number from 1 to {len(chosen)}, or leave it out for all of them.",
            )
        chosen = chosen[:las]
    if not 0 < fraction <= 1:
        raise ConfigError(what=f"fraction {fraction} is not in (0, 1]", fix="Use 0 < fraction ≤ 1.")
    if not years or min(years) < 2018 or max(years) > 2026:
        raise ConfigError(
            what=f"collection years {list(years)} are outside 2018–2026",
            fix="Give collection years (the year each census ends in) from 2018 to 2026.",
        )
    out.mkdir(parents=True, exist_ok=True)
    weights = la_weights(chosen)
    jobs = sorted(
        (_LaJob(la, float(w), out, seed, tuple(years), fraction, key)
         for la, w in zip(chosen, weights, strict=True)),
        key=lambda j: -j.weight,
    )  # fmt: skip
    result = NationalResult(out)
    done = 0

    def finished(counts: LaCounts) -> None:
        nonlocal done
        done += 1
        result.las.append(counts)
        if on_file is not None:
            on_file(out / counts.slug, done, len(jobs))

    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            finished(_write_la(job))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1)) as pool:
            for counts in pool.map(_write_la, jobs):
                finished(counts)
    order = {la.slug: i for i, la in enumerate(chosen)}
    result.las.sort(key=lambda c: order[c.slug])
    return result
