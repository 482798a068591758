"""Model outputs: coefficient tables of regressions and similar estimates.

A model passes when its residual degrees of freedom reach ``safe_dof_threshold`` (a saturated
model reproduces its data); it fails below. Every level of each categorical term must also have
at least ``safe_threshold`` observations: a coefficient on a level with three children describes
those three children, so such a model goes to review with the levels named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from steward.disclosure.output import OK, CheckedOutput
from steward.disclosure.rules import SdcRules, Status
from steward.errors import DisclosureError, Location


def check_model(
    *,
    name: str,
    residual_dof: float,
    level_counts: Mapping[str, Mapping[Any, int]] | None = None,
    coefficients: pd.DataFrame | None = None,
    rules: SdcRules | None = None,
    command: str = "",
) -> CheckedOutput:
    """Check a fitted model from its residual dof and the observation count of each level."""
    rules = rules or SdcRules()
    if residual_dof is None or not np.isfinite(residual_dof):
        raise DisclosureError(
            what=f"Model {name!r} has no residual degrees of freedom",
            fix="Pass the fitted model's df_resid (n minus the number of estimated parameters).",
            where=Location(sheet=name),
        )
    small_levels = [
        (term, level, int(n))
        for term, counts in (level_counts or {}).items()
        for level, n in counts.items()
        if int(n) < rules.safe_threshold
    ]
    status: Status
    comments: list[str] = []
    if residual_dof < rules.safe_dof_threshold:
        status = "fail"
        detail = f"dof: residual degrees of freedom {residual_dof:g} < {rules.safe_dof_threshold}"
        comments.append("Too few residual degrees of freedom: simplify the model or add data.")
    elif small_levels:
        status = "review"
        detail = "levels: " + ", ".join(
            f"{t}={lv} (n<{rules.safe_threshold})" for t, lv, _ in small_levels
        )
        comments.append(
            "Some categorical levels have fewer observations than the threshold: a checker must "
            "decide whether their coefficients describe identifiable people; consider merging them."
        )
    else:
        status = "pass"
        detail = f"residual degrees of freedom {residual_dof:g} >= {rules.safe_dof_threshold}"
    table = (
        coefficients if coefficients is not None else pd.DataFrame({"residual_dof": [residual_dof]})
    )
    outcome = pd.DataFrame(OK, index=table.index, columns=table.columns)
    return CheckedOutput(
        name=name,
        kind="model",
        status=status,
        safe=table if status != "fail" else table.iloc[0:0],
        cell_rules=outcome if status != "fail" else outcome.iloc[0:0],
        summary=f"{name} (model): {status}; {detail}",
        rules=rules,
        properties={
            "method": "model",
            "residual_dof": float(residual_dof),
            "dof_threshold": rules.safe_dof_threshold,
            "small_levels": [
                {"term": t, "level": _jsonable(lv), "n": n} for t, lv, n in small_levels
            ],
        },
        command=command,
        comments=comments,
    )


def check_fitted_model(
    result: Any,
    *,
    name: str,
    data: pd.DataFrame | None = None,
    categorical: Sequence[str] = (),
    rules: SdcRules | None = None,
) -> CheckedOutput:
    """Check a fitted statsmodels results object (anything with ``df_resid`` and ``params``)."""
    residual_dof = getattr(result, "df_resid", None)
    if residual_dof is None:
        raise DisclosureError(
            what=f"Model {name!r} does not report residual degrees of freedom",
            fix="Pass a fitted statsmodels results object or call check_model(residual_dof=...).",
            where=Location(sheet=name),
        )
    level_counts: dict[str, dict[Any, int]] = {}
    for term in categorical:
        if data is None or term not in data.columns:
            raise DisclosureError(
                what=f"Categorical term {term!r} is not a column of the model's data",
                fix="Pass the data the model was fitted on, with that column.",
                where=Location(sheet=name, column=term),
            )
        level_counts[term] = {k: int(v) for k, v in data[term].value_counts().items()}
    coefficients = None
    params = getattr(result, "params", None)
    if params is not None:
        coefficients = pd.DataFrame(
            {"coef": np.asarray(params)}, index=getattr(params, "index", None)
        )
        bse = getattr(result, "bse", None)
        if bse is not None:
            coefficients["std_err"] = np.asarray(bse)
    return check_model(
        name=name,
        residual_dof=float(residual_dof),
        level_counts=level_counts,
        coefficients=coefficients,
        rules=rules,
        command=f"model {name}",
    )


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
