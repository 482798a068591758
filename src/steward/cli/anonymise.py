"""``steward anonymise INPUT.csv``: the optimal generalisation of any table, in the spirit of ARX.

Example::

    steward anonymise adult.csv --sep ';' --qi age=age.csv --qi sex=sex.csv --k 5 \\
        --suppression 0.0 --metric dm --out adult_anon.csv --report report.json

Both output files are written only when the anonymisation succeeds, each atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from steward.cli.common import console, user_errors
from steward.errors import InputFileError, Location, UserError


def anonymise(
    input_file: Annotated[Path, typer.Argument(help="The table to anonymise (CSV with a header).")],
    qi: Annotated[
        list[str],
        typer.Option(
            "--qi", help="A quasi-identifier and its hierarchy file: COLUMN=HIERARCHY.csv (repeat)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the anonymised table.")],
    report: Annotated[
        Path | None, typer.Option("--report", help="Where to write the JSON report.")
    ] = None,
    sep: Annotated[
        str, typer.Option("--sep", help="Field separator of input and hierarchies.")
    ] = ",",
    sensitive: Annotated[
        str | None, typer.Option("--sensitive", help="The sensitive attribute (for --l / --t).")
    ] = None,
    k: Annotated[int | None, typer.Option("--k", help="k-anonymity: smallest class size.")] = None,
    l_value: Annotated[
        int | None, typer.Option("--l", help="l-diversity: well-represented sensitive values.")
    ] = None,
    l_variant: Annotated[
        str, typer.Option("--l-variant", help="distinct, entropy or recursive.")
    ] = "distinct",
    c: Annotated[float | None, typer.Option("--c", help="c of recursive (c,l)-diversity.")] = None,
    t: Annotated[float | None, typer.Option("--t", help="t-closeness: largest distance.")] = None,
    t_hierarchy: Annotated[
        Path | None,
        typer.Option("--t-hierarchy", help="Hierarchy of the sensitive attribute for --t."),
    ] = None,
    max_risk: Annotated[
        float | None, typer.Option("--max-risk", help="Highest prosecutor risk of any record.")
    ] = None,
    suppression: Annotated[
        float, typer.Option("--suppression", help="Largest share of records to suppress.")
    ] = 0.0,
    metric: Annotated[
        str, typer.Option("--metric", help="dm, aecs, precision, loss or entropy.")
    ] = "dm",
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds; best found so far when reached.")
    ] = None,
    sampling_fraction: Annotated[
        float, typer.Option("--sampling-fraction", help="Share of the population in the table.")
    ] = 1.0,
) -> None:
    """Anonymise a table: find the generalisation with the best utility under the models."""
    with user_errors():
        result = run(
            input_file=input_file,
            qi=qi,
            out=out,
            report=report,
            sep=sep,
            sensitive=sensitive,
            k=k,
            l_value=l_value,
            l_variant=l_variant,
            c=c,
            t=t,
            t_hierarchy=t_hierarchy,
            max_risk=max_risk,
            suppression=suppression,
            metric=metric,
            time_limit=time_limit,
            sampling_fraction=sampling_fraction,
        )
    levels = ", ".join(f"{name}={level}" for name, level in result["levels"].items())
    state = "optimal" if result["optimal"] else "best found within the time limit"
    console.print(
        f"[green]Anonymised[/] {input_file.name}: levels {levels} ({state}); "
        f"{metric} {result[metric]:g}, {result['suppressed']} records suppressed, "
        f"{result['nodes_checked']} of {result['lattice_size']} generalisations checked "
        f"in {result['seconds']:.3f} s",
        highlight=False,
    )


def run(
    *,
    input_file: Path,
    qi: list[str],
    out: Path,
    report: Path | None,
    sep: str,
    sensitive: str | None,
    k: int | None,
    l_value: int | None,
    l_variant: str,
    c: float | None,
    t: float | None,
    t_hierarchy: Path | None,
    max_risk: float | None,
    suppression: float,
    metric: str,
    time_limit: float | None,
    sampling_fraction: float,
) -> dict[str, Any]:
    """Read, anonymise and write; returns the report. Raises a UserError on bad input."""
    from steward.anonymise import (
        Hierarchy,
        KAnonymity,
        LDiversity,
        MaxProsecutorRisk,
        PrivacyModel,
        TCloseness,
    )
    from steward.anonymise import anonymise as run_anonymise

    table = read_table(input_file, sep)
    hierarchies: dict[str, Hierarchy] = {}
    for item in qi:
        column, found, path = item.partition("=")
        if not found or not column or not path:
            raise UserError(
                what=f"--qi {item!r} is not of the form COLUMN=HIERARCHY.csv",
                fix="Give each quasi-identifier as --qi COLUMN=HIERARCHY.csv.",
            )
        if column in hierarchies:
            raise UserError(
                what=f"The quasi-identifier {column!r} is given twice",
                fix="Give each column once with --qi.",
            )
        hierarchies[column] = Hierarchy.from_csv(path, sep=sep, name=column)
    models: list[PrivacyModel] = []
    if k is not None:
        models.append(KAnonymity(k))
    if max_risk is not None:
        models.append(MaxProsecutorRisk(max_risk))
    if l_value is not None:
        if l_variant not in ("distinct", "entropy", "recursive"):
            raise UserError(
                what=f"Unknown l-diversity variant {l_variant!r}",
                fix="Use --l-variant distinct, entropy or recursive.",
            )
        models.append(LDiversity(l_value, l_variant, c))  # type: ignore[arg-type]
    if t is not None:
        sensitive_hierarchy = Hierarchy.from_csv(t_hierarchy, sep=sep) if t_hierarchy else None
        models.append(TCloseness(t, sensitive_hierarchy))
    if not models:
        raise UserError(
            what="No privacy model was given",
            fix="Give at least --k (and optionally --l, --t, --max-risk).",
        )
    result = run_anonymise(
        table,
        hierarchies,
        sensitive=sensitive,
        models=models,
        suppression_limit=suppression,
        metric=metric,
        time_limit=time_limit,
        sampling_fraction=sampling_fraction,
        source=str(input_file),
    )
    summary = result.report()
    table_text = result.table.to_csv(sep=sep, index=False)
    report_text = json.dumps(summary, indent=2) + "\n"
    # Both files go to temporary names first, so an error leaves neither behind.
    outputs = [(out, table_text)] + ([(report, report_text)] if report else [])
    staged = [(_stage(target, text), target) for target, text in outputs]
    for temporary, target in staged:
        os.replace(temporary, target)
    return summary


def read_table(path: Path, sep: str) -> Any:
    """Read a CSV table as text (no type guessing), with user errors for unreadable files."""
    import pandas as pd

    where = Location(file=str(path))
    if not path.is_file():
        raise InputFileError(
            what=f"The input file {path} does not exist", fix="Check the path.", where=where
        )
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputFileError(
            what=f"The input file {path} is empty",
            fix="Give a CSV file with a header row.",
            where=where,
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(
            what=f"The input file {path} cannot be read as CSV ({str(exc).strip()})",
            fix=f"Check that fields are separated by {sep!r} (--sep) and the file is UTF-8.",
            where=where,
        ) from None


def _stage(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
    return Path(name)
