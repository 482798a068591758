"""The NPD extract for one LA's pupils in the national synthetic data, vectorised.

The same files ``steward.synth.npd`` writes for the five-LA study (3-term absence, school
census FSM flags, the PMR lookup), one set per LA under ``npd/``, for the children of
``LaPeople`` who have a UPN: a row per academic year they were of school age (Year 1 to
Year 11) within the extract's years. About 3% of pupils get no PMR back from DfE and 4% are
missing from the extract, so not every child links. PMRs are unique across LAs.

The lookup carries the study's pseudonym of each UPN, so it needs the workspace's pseudonym
key; without one it is not written, and ``npd_truth/{slug}_pupils.csv`` (UPN, PMR, outcome)
lets ``write_pmr_lookup`` write it later.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from steward.pseudonymise.pseudonym import Pseudonymiser
from steward.pseudonymise.statutory import UPN_NAMESPACE
from steward.returns.npd.spec import NO_ABSENCE_YEARS
from steward.synth.national_people import LaPeople
from steward.synth.statutory import atomic_target

_TERM_SESSIONS = {"Autumn": 140.0, "Spring": 118.0, "Summer": 128.0}
_P_NO_PMR, _P_NOT_IN_EXTRACT = 0.03, 0.07  # cumulative


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection on 64-bit integers that scatters their bits, so
    distinct (LA, child) pairs get distinct PMRs that look like nothing in particular."""
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _write(table: pa.Table, path: Path) -> Path:
    tmp = atomic_target(path)
    try:
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="none"))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_npd_la(
    people: LaPeople,
    out: Path,
    slug: str,
    *,
    academic_years: range,
    rng: np.random.Generator,
    key: bytes | None,
) -> tuple[dict[str, Path], int]:
    """Write one LA's NPD files under ``out``; (paths, absence rows)."""
    pupils = np.flatnonzero(people.upn != None)  # noqa: E711 (element-wise)
    n = len(pupils)
    rows = (np.uint64(int(people.code)) << np.uint64(32)) | pupils.astype(np.uint64)
    pmr = np.array([f"{v:016X}" for v in _mix(rows).tolist()], dtype=object)
    u = rng.random(n)
    outcome = np.where(u < _P_NO_PMR, "no_pmr",
                       np.where(u < _P_NOT_IN_EXTRACT, "not_in_extract", "matched"))  # fmt: skip
    years = np.array(list(academic_years))
    birth = people.birth[pupils]
    aug31 = np.array([dt.date(y, 8, 31).toordinal() for y in years])
    age = ((aug31[None, :] - birth[:, None]) / 365.25).astype(np.int64)
    in_school = (age >= 5) & (age <= 15) & (outcome == "matched")[:, None]
    # Children in need miss more school than their peers; more still once in care.
    care = np.zeros(len(people.child_id), bool)
    care[people.pc_child] = True
    base = np.where(care[pupils], 0.09, 0.07) * rng.lognormal(0.0, 0.5, n)
    fsm_ever = rng.random(n) < np.where(care[pupils], 0.6, 0.45)
    eligible = (rng.random((n, len(years))) < np.where(fsm_ever, 0.75, 0.04)[:, None]) & in_school
    ever6 = np.zeros_like(eligible)
    for k in range(len(years)):
        window = (years >= years[k] - 6) & (years < years[k])
        ever6[:, k] = eligible[:, window].any(axis=1)
    o, y = np.nonzero(in_school)
    label = np.array([f"{v}/{(v + 1) % 100:02d}" for v in years], dtype=object)[y]
    fsm = pa.table(
        {
            "PupilMatchingRefAnonymous": pmr[o],
            "AcademicYear": label,
            "FSMeligible": eligible[o, y].astype(np.int8),
            "EVERFSM_6": ever6[o, y].astype(np.int8),
            "EVERFSM_6_P": (ever6[o, y] | eligible[o, y]).astype(np.int8),
            "Disadvantaged": (ever6[o, y] | eligible[o, y] | care[pupils][o]).astype(np.int8),
        }
    )
    collected = ~np.isin(years[y], list(NO_ABSENCE_YEARS))
    o, label = o[collected], label[collected]
    mean = np.clip(base[o] * rng.lognormal(0.0, 0.25, o.size), 0.002, 0.8)
    absence: dict[str, object] = {"PupilMatchingRefAnonymous": pmr[o], "AcademicYear": label}
    for term, sessions in _TERM_SESSIONS.items():
        possible = np.maximum(0, np.round(rng.normal(sessions, 5, o.size))).astype(np.int64)
        overall = rng.binomial(possible, rng.beta(4 * mean / (1 - mean) + 0.01, 4))
        authorised = rng.binomial(overall, 0.65)
        absence[f"SessionsPossible_{term}"] = possible
        absence[f"AuthorisedAbsence_{term}"] = authorised
        absence[f"UnauthorisedAbsence_{term}"] = overall - authorised
        absence[f"OverallAbsence_{term}"] = overall
    truth = pa.table(
        {
            "la_code": pa.array([people.code] * n, pa.string()),
            "child_id": people.child_id[pupils],
            "upn": people.upn[pupils],
            "pmr": pmr,
            "outcome": outcome,
            "ever_in_care": care[pupils],
        }
    )
    npd = out / "npd"
    files = {
        "absence": _write(pa.table(absence), npd / f"{slug}_absence_3term.csv"),
        "fsm": _write(fsm, npd / f"{slug}_school_census_fsm.csv"),
        "truth": _write(truth, out / "npd_truth" / f"{slug}_pupils.csv"),
    }
    if key is not None:
        files["lookup"] = _write(pmr_lookup(truth, key), npd / f"{slug}_pmr_lookup.csv")
    return files, int(o.size)


def pmr_lookup(truth: pa.Table, key: bytes) -> pa.Table:
    """DfE's answer to the matching request: the PMR for each pseudonymised UPN sent."""
    upn_pid = Pseudonymiser(key).pseudonymise(UPN_NAMESPACE, truth["upn"].combine_chunks())
    found = np.asarray(truth["outcome"].to_numpy(zero_copy_only=False)) != "no_pmr"
    pmr = np.where(found, truth["pmr"].to_numpy(zero_copy_only=False), "")
    return pa.table({"PupilMatchingRefAnonymous": pmr, "upn_pid": upn_pid})


def write_pmr_lookup(out: Path, key: bytes) -> list[Path]:
    """Write each LA's PMR lookup from ``npd_truth/`` under ``key`` (a workspace's key)."""
    written = []
    for truth_path in sorted((out / "npd_truth").glob("*_pupils.csv")):
        truth = pacsv.read_csv(
            truth_path,
            convert_options=pacsv.ConvertOptions(
                column_types={"upn": pa.string(), "pmr": pa.string(), "la_code": pa.string()}
            ),
        )
        slug = truth_path.name.removesuffix("_pupils.csv")
        written.append(_write(pmr_lookup(truth, key), out / "npd" / f"{slug}_pmr_lookup.csv"))
    return written
