"""``generate_returns``: every return each LA sends, as the workbooks it would send them."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from steward.errors import ConfigError
from steward.returns.layout import (
    DR1_MONTHLY,
    DR2_CLA,
    DR2_CP,
    DR2_REFERRALS,
    DR3_CARE_EPISODES,
    DR3_CIN_CLOSURES,
    DR3_NEET,
    DR3_PERIODS_OF_CARE,
    ReturnTable,
)
from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES, LocalAuthority
from steward.synth.effect import AGE_EFFECT, TREATED_AGES, WINDOW_DAYS, CareModel
from steward.synth.mess import LaStyle, MessKind, la_style
from steward.synth.monthly import monthly_aggregates
from steward.synth.population import LaPopulation, draw_base, draw_population
from steward.synth.render import render_table
from steward.synth.schedule import (
    RETURN_TYPES,
    SCALES,
    TRIAL_WINDOW,
    LaProfile,
    Scale,
    build_profiles,
    file_name,
)
from steward.synth.tables import referral_table, with_attributes
from steward.synth.workbook import Sheet, write_workbook

Progress = Callable[[Path, int, int], None]


@dataclass(frozen=True)
class SynthTruth:
    """What was planted, so an analysis of the synthetic returns can be checked against it."""

    seed: int
    scale: str
    odds_ratio: float
    log_odds_ratio: float
    base_rate: float  # P(care within 18 months) of untreated 12–17s at a zero LA effect
    intercept: float
    la_sd: float
    la_effects: dict[str, float]  # LA slug -> random intercept (log-odds)
    covariate_effects: dict[str, float]
    go_live: dict[str, str]  # LA slug -> ISO date
    treated_ages: tuple[int, int] = TREATED_AGES
    window_days: int = WINDOW_DAYS
    trial_window: tuple[str, str] = (TRIAL_WINDOW[0].isoformat(), TRIAL_WINDOW[1].isoformat())
    # Realised in the generated data: 12–17s at first referral in the trial window.
    cohort_12_17: dict[str, int] = field(default_factory=dict)
    care_rate_untreated: float = float("nan")
    care_rate_treated: float = float("nan")


@dataclass
class SynthResult:
    """The files written, their volumes, where each kind of mess was planted, and the truth."""

    files: list[Path]
    children: dict[str, int]  # LA slug -> children referred
    referral_rows: dict[str, int]  # LA slug -> distinct referrals (before planted duplicates)
    truth: SynthTruth
    mess: dict[MessKind, list[str]]  # kind -> names of the files that show it

    @property
    def total_children(self) -> int:
        return sum(self.children.values())

    def write_truth(self, path: Path) -> Path:
        """Write the truth and volumes as JSON (atomically) and return ``path``."""
        payload = {
            "truth": asdict(self.truth),
            "children": self.children,
            "referral_rows": self.referral_rows,
            "files": [p.name for p in self.files],
            "mess": {k.value: v for k, v in self.mess.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
        return path


def planned_files(las: Sequence[LocalAuthority] = NWD_LOCAL_AUTHORITIES) -> list[str]:
    """The names of the files ``generate_returns`` writes for ``las``, in writing order."""
    return [
        file_name(p.la.slug, rt, month)
        for p in build_profiles(las, 1.0)
        for month in p.return_months
        for rt in RETURN_TYPES
    ]


def build_populations(
    *,
    scale: Scale = "small",
    seed: int = 1,
    odds_ratio: float = 0.8,
    las: Sequence[LocalAuthority] = NWD_LOCAL_AUTHORITIES,
    go_live: Mapping[str, dt.date] | None = None,
) -> tuple[list[LaPopulation], SynthTruth, np.random.Generator]:
    """The case histories of every LA and the planted truth, without writing any file."""
    if scale not in SCALES:
        raise ConfigError(
            what=f"Unknown scale {scale!r}",
            fix=f"Use one of: {', '.join(SCALES)}.",
        )
    if not odds_ratio > 0:
        raise ConfigError(what=f"Odds ratio {odds_ratio} is not positive", fix="Use e.g. 0.8.")
    if not las:
        raise ConfigError(what="No local authorities given", fix="Pass at least one LA.")
    rng = np.random.default_rng(seed)
    model = CareModel(odds_ratio=odds_ratio)
    profiles = build_profiles(las, SCALES[scale], go_live)
    la_effects = rng.normal(0.0, model.la_sd, size=len(profiles))
    # Each LA numbers its own children from 1, as separate case systems do.
    bases = [draw_base(rng, profile, id_start=1) for profile in profiles]
    teen_logits = np.concatenate(
        [
            model.covariate_logit(
                b["age"].to_numpy(), b["previous_cpp"].to_numpy(), b["disabled"].to_numpy()
            )[b["age"].to_numpy() >= TREATED_AGES[0]]
            for b in bases
        ]
    )
    intercept = model.solve_intercept(teen_logits)
    pops = [
        draw_population(rng, p, b, model=model, intercept=intercept, la_effect=float(u))
        for p, b, u in zip(profiles, bases, la_effects, strict=True)
    ]
    cohort, rate_treated, rate_untreated = _realised(pops)
    truth = SynthTruth(
        seed=seed,
        scale=scale,
        odds_ratio=odds_ratio,
        log_odds_ratio=model.log_odds_ratio,
        base_rate=model.base_rate,
        intercept=intercept,
        la_sd=model.la_sd,
        la_effects={p.la.slug: float(u) for p, u in zip(profiles, la_effects, strict=True)},
        covariate_effects={
            "previous_cpp_per_plan_max_3": model.previous_cpp,
            "disabled": model.disabled,
            **{f"age_{age}": float(AGE_EFFECT[age]) for age in range(AGE_EFFECT.size)},
        },
        go_live={p.la.slug: p.go_live.isoformat() for p in profiles},
        cohort_12_17=cohort,
        care_rate_treated=rate_treated,
        care_rate_untreated=rate_untreated,
    )
    return pops, truth, rng


def _realised(pops: list[LaPopulation]) -> tuple[dict[str, int], float, float]:
    lo, hi = (np.datetime64(d) for d in TRIAL_WINDOW)
    cohort: dict[str, int] = {}
    treated_out, untreated_out = [], []
    for pop in pops:
        c = pop.children
        first = c["first_referral_date"].to_numpy(dtype="datetime64[D]")
        sel = (c["age"].to_numpy() >= TREATED_AGES[0]) & (first >= lo) & (first <= hi)
        cohort[pop.profile.la.slug] = int(sel.sum())
        treated = c["treated"].to_numpy()
        outcome = c["care_within_18m"].to_numpy()
        treated_out.append(outcome[sel & treated])
        untreated_out.append(outcome[sel & ~treated])
    t, u = np.concatenate(treated_out), np.concatenate(untreated_out)
    return (
        cohort,
        float(t.mean()) if t.size else float("nan"),
        float(u.mean()) if u.size else float("nan"),
    )


def generate_returns(
    out: Path,
    *,
    scale: Scale = "small",
    seed: int = 1,
    mess: bool = True,
    odds_ratio: float = 0.8,
    las: Sequence[LocalAuthority] = NWD_LOCAL_AUTHORITIES,
    go_live: Mapping[str, dt.date] | None = None,
    progress: Progress | None = None,
) -> SynthResult:
    """Write every DR1/DR2/DR3 workbook each LA sends into ``out`` and return what was planted.

    ``go_live`` overrides go-live dates by LA slug (Leicester's defaults to 2022-01-01).
    ``progress`` is called after each file with (path, files done, files in total).
    """
    pops, truth, rng = build_populations(
        scale=scale, seed=seed, odds_ratio=odds_ratio, las=las, go_live=go_live
    )
    out.mkdir(parents=True, exist_ok=True)
    total = sum(len(p.profile.return_months) * len(RETURN_TYPES) for p in pops)
    files: list[Path] = []
    planted: dict[MessKind, list[str]] = {}
    for la_index, pop in enumerate(pops):
        profile = pop.profile
        monthly = monthly_aggregates(rng, pop, SCALES[scale], profile.return_months[-1])
        n_returns = len(profile.return_months)
        for k, month in enumerate(profile.return_months):
            style = la_style(la_index, k, n_returns, mess=mess)
            cutoff = (np.datetime64(month, "M") + 1).astype("datetime64[D]") - 1
            for return_type in RETURN_TYPES:
                name = file_name(profile.la.slug, return_type, month)
                tables = _snapshot(return_type, pop, monthly, cutoff, mess=mess)
                sheets, kinds = _sheets(tables, style, profile, return_type, month, seed)
                path = write_workbook(out / name, sheets)
                files.append(path)
                for kind in kinds:
                    planted.setdefault(kind, []).append(name)
                if progress:
                    progress(path, len(files), total)
    return SynthResult(
        files=files,
        children={p.profile.la.slug: len(p.children) for p in pops},
        referral_rows={p.profile.la.slug: len(p.referrals) for p in pops},
        truth=truth,
        mess=planted,
    )


def _snapshot(
    return_type: str,
    pop: LaPopulation,
    monthly: pd.DataFrame,
    cutoff: np.datetime64,
    *,
    mess: bool,
) -> list[tuple[ReturnTable, pd.DataFrame]]:
    """The canonical tables of one return as known at ``cutoff`` (later events not yet known)."""

    def upto(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        return frame[frame[column].to_numpy(dtype="datetime64[D]") <= cutoff]

    def blank_after(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        values = frame[column].to_numpy(dtype="datetime64[D]").copy()
        values[values > cutoff] = np.datetime64("NaT")
        return frame.assign(**{column: values})

    children = pop.children
    if return_type == "dr1":
        return [(DR1_MONTHLY, upto(monthly, "month"))]
    if return_type == "dr2":
        refs = upto(pop.referrals, "referral_date")
        cp = with_attributes(upto(pop.cpps, "cpp_start_date"), children, mess=mess)
        periods = upto(pop.periods, "poc_start_date").rename(
            columns={"poc_start_date": "cla_start_date"}
        )
        cla = with_attributes(periods, children, mess=mess)
        return [
            (DR2_REFERRALS, referral_table(refs, children, mess=mess)),
            (DR2_CLA, cla),
            (DR2_CP, cp),
        ]
    ids = children["child_id"].to_numpy()
    periods = blank_after(upto(pop.periods, "poc_start_date"), "poc_end_date")
    episodes = blank_after(upto(pop.episodes, "episode_start_date"), "episode_end_date")
    activities = upto(pop.activities, "activity_date")
    activities = activities.assign(
        birth_month=children["birth_month"].to_numpy()[activities["child_row"].to_numpy()]
    )
    closures = upto(pop.closures, "closure_date")
    tables = [
        (DR3_PERIODS_OF_CARE, periods),
        (DR3_CARE_EPISODES, episodes),
        (DR3_NEET, activities),
        (DR3_CIN_CLOSURES, closures),
    ]
    return [(t, f.assign(child_id=ids[f["child_row"].to_numpy()])) for t, f in tables]


def _sheets(
    tables: list[tuple[ReturnTable, pd.DataFrame]],
    style: LaStyle,
    profile: LaProfile,
    return_type: str,
    month: str,
    seed: int,
) -> tuple[list[Sheet], set[MessKind]]:
    period = dt.date.fromisoformat(f"{month}-01").strftime("%b %Y")
    title = (
        [
            f"No Wrong Door evaluation – Data Return {return_type[-1]}",
            f"Local authority: {profile.la.name}  Period: {period}",
        ]
        if style.title_block
        else []
    )
    sheets, kinds = [], set()
    for table, frame in tables:
        columns, shown = render_table(table, frame, style, notes_seed=seed)
        kinds |= shown
        if table is DR2_REFERRALS:
            kinds |= _row_mess(frame)
        names = table.sheet_names
        name = names[0] if style.heading_seed < 0 else names[style.heading_seed % len(names)]
        sheets.append(Sheet(name, columns, title))
    return sheets, kinds


def _row_mess(referrals: pd.DataFrame) -> set[MessKind]:
    kinds = set()
    if referrals.duplicated(["child_id", "referral_date"]).any():
        kinds.add(MessKind.DUPLICATE_REFERRALS)
    if referrals["ethnicity"].isna().any():
        kinds.add(MessKind.MISSING_ETHNICITY)
    birth = referrals["birth_month"].to_numpy(dtype="datetime64[D]")
    if (birth > referrals["referral_date"].to_numpy(dtype="datetime64[D]")).any():
        kinds.add(MessKind.BIRTH_AFTER_REFERRAL)
    return kinds
