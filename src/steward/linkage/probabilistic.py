"""Optional probabilistic linkage on quasi-identifiers, for children deterministic keys miss.

Never used silently: only when asked for (``--probabilistic``); its candidate pairs are written
apart from the deterministic linkage table, never merged into it, and the report shows the
model's match weights. The engine is Splink on DuckDB, imported lazily; without it the request is
refused with what to install.

Who is compared: within each LA, the evaluation's children with no statutory record under their
``child_pid`` (left) against statutory children (CIN census, SSDA903) no DR return lists (right),
on birth year-month, sex and home postcode district (where a source holds it). Pairs are blocked
on LA and birth year-month, or LA and postcode district.

The model is fixed, not trained, so a run is reproducible and small LAs do not destabilise it:
``m`` (agreement among true matches) is set a priori from recording error rates; ``u``
(agreement by chance) is computed from the data as the chance that a random left and right
record share a value, sum over values of p_left(v) * p_right(v).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from steward.errors import ConfigError
from steward.store import ResearchStore

# P(agree | same child): birth months are rarely mistyped, sex rarely, addresses change.
M_PROBABILITIES = {"birth_year_month": 0.95, "sex": 0.98, "postcode_district": 0.80}
MIN_U = 1e-4
MATCH_WEIGHT_THRESHOLD = 0.0  # pairs scoring below this (less likely than not) are dropped


def require_engine() -> None:
    """Raise ``ConfigError`` saying what to install when the probabilistic engine is missing."""
    try:
        import splink  # noqa: F401
    except ImportError:
        raise ConfigError(
            what="probabilistic linkage needs Splink, which is not installed",
            fix="Install it in the project environment ('uv add splink'), or run the linkage "
            "without --probabilistic (deterministic keys only).",
        ) from None


_SEX = """CASE WHEN upper(trim({c})) IN ('M', 'MALE', '1') THEN 'M'
               WHEN upper(trim({c})) IN ('F', 'FEMALE', '2') THEN 'F' END"""


def candidates_sql() -> str:
    """Left (DR children without a statutory record) and right (statutory children without a
    DR record) with their quasi-identifiers, in one table with a ``side`` column."""
    dr = " UNION ALL ".join(
        f"SELECT la_code, child_pid, birth_year_month, {_SEX.format(c='gender')} AS sex "
        f'FROM "{t}_current"'
        for t in ("dr2_referrals", "dr2_cp", "dr2_cla")
    )
    stat = (
        f"SELECT la_code, child_pid, birth_year_month, {_SEX.format(c='gender')} AS sex "
        f'FROM "cin_children_current" UNION ALL '
        f"SELECT la_code, child_pid, birth_year_month, {_SEX.format(c='sex')} FROM "
        f'"s903_header_current"'
    )
    return f"""
        WITH dr AS (SELECT la_code, child_pid, any_value(birth_year_month) AS birth_year_month,
                           any_value(sex) AS sex FROM ({dr}) GROUP BY la_code, child_pid),
        stat AS (SELECT la_code, child_pid, any_value(birth_year_month) AS birth_year_month,
                        any_value(sex) AS sex FROM ({stat}) GROUP BY la_code, child_pid),
        postcode AS (SELECT la_code, child_pid,
                            arg_max(home_postcode_district, episode_start_date) AS district
                     FROM "s903_episodes_current" GROUP BY la_code, child_pid)
        SELECT 'dr' AS side, d.la_code, d.child_pid, d.birth_year_month, d.sex,
               CAST(NULL AS VARCHAR) AS postcode_district
        FROM dr AS d ANTI JOIN stat USING (la_code, child_pid)
        UNION ALL
        SELECT 'statutory', s.la_code, s.child_pid, s.birth_year_month, s.sex, p.district
        FROM stat AS s ANTI JOIN dr USING (la_code, child_pid)
        LEFT JOIN postcode AS p USING (la_code, child_pid)
    """


@dataclass
class ProbabilisticResult:
    """Candidate pairs (pseudonyms only) and the model's parameters per comparison level."""

    pairs: pd.DataFrame  # la_code, dr_child_pid, statutory_child_pid, match_weight, probability
    weights: pd.DataFrame  # comparison, level, m, u, match_weight
    left_children: pd.DataFrame  # la_code, child_pid of the DR children compared
    right: int

    @property
    def left(self) -> int:
        return len(self.left_children)


def chance_agreement(left: pd.Series, right: pd.Series) -> float:
    """P(a random left and right record share a non-null value): sum of p_l(v) * p_r(v)."""
    pl = left.dropna().value_counts(normalize=True)
    pr = right.dropna().value_counts(normalize=True)
    u = float((pl * pr.reindex(pl.index, fill_value=0.0)).sum())
    return min(max(u, MIN_U), 1 - MIN_U)


def link_probabilistic(store: ResearchStore) -> ProbabilisticResult:
    """Score candidate pairs with Splink on DuckDB (a fixed model; see the module docstring)."""
    require_engine()
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.internals.comparison_creator import ComparisonCreator

    people = store.query(candidates_sql()).to_pandas()
    people["unique_id"] = people["la_code"] + ":" + people["child_pid"]
    left = people[people["side"] == "dr"].drop(columns="side").reset_index(drop=True)
    right = people[people["side"] == "statutory"].drop(columns="side").reset_index(drop=True)
    columns = list(M_PROBABILITIES)
    u = {c: chance_agreement(left[c], right[c]) for c in columns}
    if left.empty or right.empty:
        return ProbabilisticResult(
            _no_pairs(), _weights(u), left[["la_code", "child_pid"]], len(right)
        )
    comparisons: list[ComparisonCreator | dict[str, Any]] = [
        cl.ExactMatch(c).configure(
            m_probabilities=[M_PROBABILITIES[c], 1 - M_PROBABILITIES[c]],
            u_probabilities=[u[c], 1 - u[c]],
        )
        for c in columns
    ]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("la_code", "birth_year_month"),
            block_on("la_code", "postcode_district"),
        ],
        probability_two_random_records_match=1 / max(len(right), 1),
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    frames = [db_api.register(left, dataset_display_name="dr"),
              db_api.register(right, dataset_display_name="statutory")]  # fmt: skip
    linker = Linker(frames, settings, log_level=None)
    scored = linker.inference.predict(
        threshold_match_weight=MATCH_WEIGHT_THRESHOLD
    ).as_pandas_dataframe()
    pairs = _pairs(scored)
    return ProbabilisticResult(pairs, _weights(u), left[["la_code", "child_pid"]], len(right))


def _no_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([], dtype=t) for c, t in (
            ("la_code", object), ("dr_child_pid", object), ("statutory_child_pid", object),
            ("match_weight", float), ("match_probability", float))}
    )  # fmt: skip


def _pairs(scored: pd.DataFrame) -> pd.DataFrame:
    if scored.empty:
        return _no_pairs()
    # link_only keeps each pair's sides in input order; name them by their source dataset.
    dr_left = scored["source_dataset_l"] == "dr"
    dr_id = scored["unique_id_l"].where(dr_left, scored["unique_id_r"])
    stat_id = scored["unique_id_r"].where(dr_left, scored["unique_id_l"])
    out = pd.DataFrame(
        {
            "la_code": dr_id.str.split(":", n=1).str[0],
            "dr_child_pid": dr_id.str.split(":", n=1).str[1],
            "statutory_child_pid": stat_id.str.split(":", n=1).str[1],
            "match_weight": scored["match_weight"].astype(float),
            "match_probability": scored["match_probability"].astype(float),
        }
    )
    return out.sort_values(["la_code", "dr_child_pid", "match_weight"],
                           ascending=[True, True, False], ignore_index=True)  # fmt: skip


def _weights(u: dict[str, float]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for column, m in M_PROBABILITIES.items():
        for level, (pm, pu) in (("agree", (m, u[column])), ("disagree", (1 - m, 1 - u[column]))):
            rows.append({"comparison": column, "level": level, "m": round(pm, 4),
                         "u": round(pu, 4), "match_weight": round(math.log2(pm / pu), 3)})  # fmt: skip
    return pd.DataFrame(rows)
