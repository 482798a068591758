"""A synthetic NPD extract (absence, school census FSM, PMR lookup) for the synthetic children.

``write_npd_extract(out, populations, seed, key=...)`` takes the populations
``steward.synth.build_populations`` returns and writes what the SRS would deliver for them:

- ``npd/absence_3term.csv``: one row per pupil and academic year (2015/16 to 2024/25, none for
  2019/20), three terms per row; absence is higher for children on a child protection plan or
  in care than for other children in need;
- ``npd/school_census_fsm.csv``: FSMeligible, EVERFSM_6, EVERFSM_6_P and Disadvantaged per year;
- ``npd/pmr_lookup.csv``: DfE's answer to the study's matching request, the PMR for each
  pseudonymised UPN sent (blank where DfE found no pupil). ``upn_pid`` is the study's pseudonym
  of the UPN, so ``key`` must be the workspace's pseudonym key;
- ``npd_truth/pupils.csv``: the LA-side truth (fictional UPNs or UPN-unknown codes, birth
  month and sex as the statutory returns record them) and each child's planted link outcome.

About 5–10% of school-age children do not link, for the reasons the linkage report names: no
UPN recorded, a UPN-unknown code (UN2 for unaccompanied asylum-seeking children, UN3–UN5
otherwise), no PMR (DfE found no match) or not in the extract. Children never of school age in
the extract's years carry UN1 and are not sent. About 1% of children have a statutory birth
month or sex that differs from the evaluation's return (a planted conflict).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from steward.pseudonymise.pseudonym import Pseudonymiser
from steward.pseudonymise.statutory import UPN_NAMESPACE
from steward.synth.population import LaPopulation

FIRST_YEAR, LAST_YEAR = 2015, 2024  # academic years 2015/16 .. 2024/25
NO_DATA_YEAR = 2019  # 2019/20: no absence collected (COVID-19)
SCHOOL_AGES = (5, 15)  # age on 31 August at the start of the year: Year 1 .. Year 11
OUTCOMES = ("matched", "no_upn", "upn_unknown", "no_pmr", "not_in_extract", "not_school_age")
# Cumulative chances of each non-linking reason for a school-age child (about 7% in all).
_P_NO_UPN, _P_UNKNOWN, _P_NO_PMR, _P_NOT_IN_EXTRACT = 0.012, 0.032, 0.052, 0.068
P_CONFLICT_BIRTH, P_CONFLICT_SEX = 0.008, 0.004
_TERM_SESSIONS = {"Autumn": 140.0, "Spring": 118.0, "Summer": 128.0}
_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass
class NpdSynthResult:
    """The files written and the planted truth (one row per synthetic child)."""

    files: dict[str, Path]
    pupils: pd.DataFrame
    planted: dict[str, int]  # link outcome -> children

    @property
    def school_age_link_rate(self) -> float:
        """Share of school-age children planted to link to the extract."""
        school = self.pupils[self.pupils["outcome"] != "not_school_age"]
        return float((school["outcome"] == "matched").mean()) if len(school) else float("nan")


def upn_with_check_letter(digits: str) -> str:
    """A UPN from its 12 digits (LA, establishment, year, serial) with DfE's check letter."""
    total = sum(int(d) * w for d, w in zip(digits, range(2, 14), strict=True))
    return _CHECK_LETTERS[total % 23] + digits


def pupil_register(populations: Sequence[LaPopulation], seed: int) -> pd.DataFrame:
    """Each synthetic child's UPN (or UPN-unknown code), statutory attributes and link outcome."""
    rng = np.random.default_rng([seed, 9031])
    frames = []
    for pop in populations:
        c = pop.children
        n = len(c)
        la = pop.profile.la.code
        birth = c["birth_month"].to_numpy(dtype="datetime64[D]").astype("datetime64[M]")
        years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
        aug = np.array([np.datetime64(f"{y}-08", "M") for y in years])
        age = (aug[None, :] - birth[:, None]).astype(np.int64) // 12
        school = (age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])
        u = rng.random(n)
        uasc = c["uasc"].to_numpy() > 0.5
        outcome = np.select(
            [~school.any(axis=1), uasc | (u < _P_NO_UPN) | (u < _P_UNKNOWN), u < _P_NO_PMR,
             u < _P_NOT_IN_EXTRACT],
            ["not_school_age", "upn_unknown", "no_pmr", "not_in_extract"],
            "matched",
        ).astype(object)  # fmt: skip
        outcome[(outcome == "upn_unknown") & ~uasc & (u < _P_NO_UPN)] = "no_upn"
        code = np.full(n, None, dtype=object)
        code[outcome == "not_school_age"] = "UN1"
        unknown = outcome == "upn_unknown"
        code[unknown] = rng.choice(["UN3", "UN4", "UN5"], size=int(unknown.sum()))
        code[unknown & uasc] = "UN2"
        serial = rng.permutation(10**6)[:n]
        # Establishment and serial together are unique within the LA, so every UPN is.
        upn = np.array(
            [upn_with_check_letter(f"{la}{2000 + s // 1000:04d}{(7 * s) % 100:02d}{s % 1000:03d}")
             for s in serial], dtype=object,
        )  # fmt: skip
        upn[(code != None) | (outcome == "no_upn")] = None  # noqa: E711 (element-wise)
        sex = np.where(c["gender"].to_numpy() == "Female", "F",
                       np.where(c["gender"].to_numpy() == "Male", "M", "U"))  # fmt: skip
        stat_birth = birth.copy()
        shift = rng.random(n) < P_CONFLICT_BIRTH
        stat_birth[shift] = stat_birth[shift] + rng.choice([-1, 1], size=int(shift.sum()))
        flip = (rng.random(n) < P_CONFLICT_SEX) & (sex != "U")
        stat_sex = np.where(flip, np.where(sex == "M", "F", "M"), sex)
        care = np.zeros(n, bool)
        care[pop.periods["child_row"].to_numpy()] = True
        cpp = np.zeros(n, bool)
        cpp[pop.cpps["child_row"].to_numpy()] = True
        frames.append(
            pd.DataFrame(
                {
                    "la_code": la,
                    "child_id": c["child_id"].to_numpy(),
                    "upn": upn,
                    "upn_unknown": code,
                    "birth_month": birth.astype(str),
                    "sex": sex,
                    "statutory_birth_month": stat_birth.astype(str),
                    "statutory_sex": stat_sex,
                    "conflict_birth": shift,
                    "conflict_sex": flip,
                    "ever_cpp": cpp,
                    "ever_in_care": care,
                    "fsm_ever": c["fsm_ever"].to_numpy() > 0.5,
                    "school_years": [",".join(map(str, years[row])) for row in school],
                    "outcome": outcome,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_npd_extract(
    out: Path, populations: Sequence[LaPopulation], seed: int, *, key: bytes
) -> NpdSynthResult:
    """Write the NPD extract, the PMR lookup and the truth for ``populations`` under ``out``."""
    rng = np.random.default_rng([seed, 9032])
    pupils = pupil_register(populations, seed)
    n = len(pupils)
    pmr = np.array([f"{v:016X}" for v in rng.choice(2**62, size=n, replace=False)], dtype=object)
    pupils = pupils.assign(pmr=pmr)
    in_npd = pupils["outcome"].isin(["matched", "no_upn", "upn_unknown"]).to_numpy()
    absence, fsm = _pupil_years(rng, pupils[in_npd])
    sent = pupils["upn"].notna().to_numpy()
    lookup = pd.DataFrame(
        {
            "PupilMatchingRefAnonymous": np.where(
                pupils["outcome"].to_numpy()[sent] == "no_pmr", "", pmr[sent]
            ),
            "upn_pid": Pseudonymiser(key)
            .pseudonymise(UPN_NAMESPACE, pa.array(pupils["upn"][sent].tolist(), pa.string()))
            .to_pylist(),
        }
    )
    files = {
        "absence": _write_csv(absence, out / "npd" / "absence_3term.csv"),
        "fsm": _write_csv(fsm, out / "npd" / "school_census_fsm.csv"),
        "lookup": _write_csv(lookup.sample(frac=1.0, random_state=seed), out / "npd" / "pmr_lookup.csv"),
        "truth": _write_csv(pupils.drop(columns=["pmr"]), out / "npd_truth" / "pupils.csv"),
    }  # fmt: skip
    planted = {str(k): int(v) for k, v in pupils["outcome"].value_counts().items()}
    return NpdSynthResult(files, pupils.drop(columns=["pmr"]), planted)


def _pupil_years(
    rng: np.random.Generator, pupils: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Absence (3 terms per row) and FSM flags for every school year of every pupil."""
    owner: list[int] = []
    years: list[int] = []
    for i, text in enumerate(pupils["school_years"]):
        school_years = [int(v) for v in text.split(",") if v]
        owner.extend([i] * len(school_years))
        years.extend(school_years)
    o, y = np.array(owner, dtype=np.int64), np.array(years, dtype=np.int64)
    pmr = pupils["pmr"].to_numpy()[o]
    # Children in need miss more school than their peers; more still on a plan or in care.
    base = np.where(pupils["ever_cpp"].to_numpy(), 0.10,
                    np.where(pupils["ever_in_care"].to_numpy(), 0.09, 0.07))  # fmt: skip
    frailty = rng.lognormal(0.0, 0.5, size=len(pupils))
    mean = np.clip(base[o] * frailty[o] * rng.lognormal(0.0, 0.25, size=o.size), 0.002, 0.8)
    label = np.array([f"{v}/{(v + 1) % 100:02d}" for v in y], dtype=object)
    absence = {"PupilMatchingRefAnonymous": pmr, "AcademicYear": label}
    for term, sessions in _TERM_SESSIONS.items():
        possible = np.maximum(0, np.round(rng.normal(sessions, 5, size=o.size))).astype(np.int64)
        overall = rng.binomial(possible, rng.beta(4 * mean / (1 - mean) + 0.01, 4))
        authorised = rng.binomial(overall, 0.65)
        off_roll = rng.random(o.size) < 0.03  # joined or left during the year
        for name, values in (("SessionsPossible", possible), ("AuthorisedAbsence", authorised),
                             ("UnauthorisedAbsence", overall - authorised),
                             ("OverallAbsence", overall)):  # fmt: skip
            absence[f"{name}_{term}"] = np.where(off_roll, "", values.astype(str))
    collected = y != NO_DATA_YEAR
    absence_frame = pd.DataFrame(absence)[collected]
    # FSM: a latent eligibility per pupil; EVERFSM_6 looks back six years before this census.
    p_fsm = np.where(pupils["fsm_ever"].to_numpy(), 0.75, 0.04)[o]
    eligible = rng.random(o.size) < p_fsm
    frame = pd.DataFrame({"o": o, "y": y, "e": eligible})
    ever6, ever6p = [], []
    for _, group in frame.groupby("o", sort=False):
        ys, es = group["y"].to_numpy(), group["e"].to_numpy()
        for k in range(len(ys)):
            window = (ys >= ys[k] - 6) & (ys < ys[k])
            ever6.append(bool(es[window].any()))
            ever6p.append(bool(es[window].any() or es[k]))
    frame = frame.assign(ever6=ever6, ever6p=ever6p)
    care = pupils["ever_in_care"].to_numpy()[frame["o"].to_numpy()]
    fsm = pd.DataFrame(
        {
            "PupilMatchingRefAnonymous": pupils["pmr"].to_numpy()[frame["o"].to_numpy()],
            "AcademicYear": [f"{v}/{(v + 1) % 100:02d}" for v in frame["y"]],
            "FSMeligible": frame["e"].astype(int).to_numpy(),
            "EVERFSM_6": frame["ever6"].astype(int).to_numpy(),
            "EVERFSM_6_P": frame["ever6p"].astype(int).to_numpy(),
            "Disadvantaged": (frame["ever6p"].to_numpy() | care).astype(int),
        }
    )
    return absence_frame, fsm


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path
