"""Detection from content: where a sheet's header is, which table it holds, which LA and month.

Nothing is taken from where a local authority happened to put things. The header row is the
row among the first ``HEADER_SEARCH_ROWS`` that matches most known headings; headings map to
canonical fields by exact alias (after folding case, punctuation and spaces) or, failing that,
by a fuzzy match above ``FUZZY_THRESHOLD``; the table is the one whose fields the columns cover
best, with the sheet's name only breaking ties. The LA and return month come from the file name
(``rochdale_dr2_nov20.xlsx``) or the title block above the header.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import InputFileError, Location
from steward.returns.layout import TABLES, ReturnTable
from steward.study.local_authorities import LocalAuthority

HEADER_SEARCH_ROWS = 15
FUZZY_THRESHOLD = 0.85
MIN_REQUIRED_SHARE = 0.5  # a sheet must show at least half a table's required fields

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_heading(text: str) -> str:
    """Fold a heading for matching: lower case, '&' as 'and', punctuation and '_' as spaces."""
    folded = text.lower().replace("&", " and ")
    return " ".join(_NON_ALNUM.sub(" ", folded).split())


@cache
def _aliases(table: ReturnTable) -> dict[str, str]:
    """Folded heading -> field name, for one table."""
    return {normalise_heading(h): f.name for f in table.fields for h in f.headings}


@cache
def _all_aliases() -> frozenset[str]:
    return frozenset(a for t in TABLES for a in _aliases(t))


@cache
def _all_aliases_sorted() -> tuple[str, ...]:
    return tuple(sorted(_all_aliases()))


def _similarity(a: str, b: str) -> float:
    """Best of character similarity and similarity of the sorted words (order-insensitive)."""
    direct = difflib.SequenceMatcher(None, a, b).ratio()
    sorted_words = difflib.SequenceMatcher(
        None, " ".join(sorted(a.split())), " ".join(sorted(b.split()))
    ).ratio()
    return max(direct, sorted_words)


def _fuzzy(heading: str, aliases: Sequence[str]) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for alias in difflib.get_close_matches(heading, aliases, n=5, cutoff=FUZZY_THRESHOLD - 0.1):
        score = _similarity(heading, alias)
        if score >= FUZZY_THRESHOLD and (best is None or score > best[1]):
            best = (alias, score)
    return best


@dataclass(frozen=True)
class ColumnMatch:
    column: str  # raw column name (c0, c1, ...)
    heading: str
    field: str
    how: Literal["exact", "fuzzy"]
    score: float


@dataclass
class SheetDetection:
    """How one sheet was understood."""

    sheet: str
    table: ReturnTable
    header_row: int  # 1-based, as the spreadsheet shows it
    matches: list[ColumnMatch]
    dropped: list[str]  # headings of columns not stored (unknown or duplicate)
    missing: list[str]  # canonical fields the sheet does not have
    title_text: str
    decisions: list[str] = field(default_factory=list)


def _row_texts(cells: pa.Table, rows: int) -> list[list[str | None]]:
    head = cells.slice(0, rows).to_pydict()
    return [list(r) for r in zip(*head.values(), strict=True)] if head else []


def find_header_row(rows: list[list[str | None]]) -> tuple[int, int] | None:
    """(0-based index, number of known headings) of the best header candidate, if any."""
    known = _all_aliases()
    best: tuple[int, int] | None = None
    for fuzzy in (False, True):
        for i, row in enumerate(rows):
            texts = [normalise_heading(c) for c in row if c and c.strip()]
            hits = sum(
                1
                for t in texts
                if t in known or (fuzzy and _fuzzy(t, _all_aliases_sorted()) is not None)
            )
            if hits >= 2 and (best is None or hits > best[1]):
                best = (i, hits)
        if best is not None:
            return best
    return None


def map_headings(
    headings: dict[str, str], table: ReturnTable
) -> tuple[list[ColumnMatch], list[str]]:
    """Match raw column headings to ``table``'s fields; return matches and dropped headings."""
    aliases = _aliases(table)
    alias_list = sorted(aliases)
    candidates: list[ColumnMatch] = []
    unmatched: list[str] = []
    for column, heading in headings.items():
        folded = normalise_heading(heading)
        if folded in aliases:
            candidates.append(ColumnMatch(column, heading, aliases[folded], "exact", 1.0))
        elif (hit := _fuzzy(folded, alias_list)) is not None:
            candidates.append(ColumnMatch(column, heading, aliases[hit[0]], "fuzzy", hit[1]))
        else:
            unmatched.append(heading)
    # One column per field: the best match wins, the first on a tie; the rest are dropped.
    chosen: dict[str, ColumnMatch] = {}
    dropped = list(unmatched)
    for m in sorted(candidates, key=lambda m: -m.score):
        if m.field in chosen:
            dropped.append(m.heading)
        else:
            chosen[m.field] = m
    order = {c: i for i, c in enumerate(headings)}
    return sorted(chosen.values(), key=lambda m: order[m.column]), dropped


def _sheet_name_fits(sheet: str, table: ReturnTable) -> bool:
    name = normalise_heading(sheet)
    return any(
        normalise_heading(s) == name or normalise_heading(s) in name for s in table.sheet_names
    )


def detect_sheet(sheet: str, cells: pa.Table) -> SheetDetection | None:
    """Understand one raw sheet, or ``None`` if it holds no table of the returns."""
    rows = _row_texts(cells, HEADER_SEARCH_ROWS)
    found = find_header_row(rows)
    if found is None:
        return None
    index = found[0]
    header = rows[index]
    headings: dict[str, str] = {}
    for column, text in zip(cells.column_names, header, strict=True):
        if text and text.strip():
            headings[column] = text.strip()
        elif pc.count(cells[column].slice(index + 1)).as_py() > 0:
            headings[column] = f"(unnamed column {column[1:]})"
    best: tuple[tuple[float, int, bool], ReturnTable, list[ColumnMatch], list[str]] | None = None
    for table in TABLES:
        matches, dropped = map_headings(headings, table)
        required = [f.name for f in table.fields if f.required]
        got = {m.field for m in matches}
        share = sum(1 for r in required if r in got) / len(required)
        key = (share, len(matches), _sheet_name_fits(sheet, table))
        if best is None or key > best[0]:
            best = (key, table, matches, dropped)
    assert best is not None
    (share, n_matched, _), table, matches, dropped = best
    if share < MIN_REQUIRED_SHARE or n_matched < 2:
        return None
    got = {m.field for m in matches}
    title = " ".join(c for row in rows[:index] for c in row if c)
    detection = SheetDetection(
        sheet=sheet,
        table=table,
        header_row=index + 1,
        matches=matches,
        dropped=dropped,
        missing=[f.name for f in table.fields if f.name not in got],
        title_text=title,
    )
    detection.decisions.append(
        f"sheet {sheet!r}: table {table.name} (header on row {index + 1}, "
        f"{len(matches)} of {len(table.fields)} fields found)"
    )
    for m in matches:
        how = "exact heading" if m.how == "exact" else f"fuzzy match, similarity {m.score:.2f}"
        detection.decisions.append(f"sheet {sheet!r}: column {m.heading!r} -> {m.field} ({how})")
    for heading in dropped:
        detection.decisions.append(
            f"sheet {sheet!r}: column {heading!r} is not part of {table.name}; dropped, not stored"
        )
    for name in detection.missing:
        kind = "required" if table.field(name).required else "optional"
        detection.decisions.append(f"sheet {sheet!r}: {kind} field {name} is absent")
    return detection


def expected_tables_text() -> str:
    """A short list of what a return's sheets should look like, for error messages."""
    return "; ".join(
        f"{t.name} (headings like {', '.join(repr(f.headings[1]) for f in t.fields[:3])})"
        for t in TABLES
    )


# --- local authority and return month -----------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}  # fmt: skip
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_FILE_NAME = re.compile(
    r"^(?P<la>[a-z][a-z0-9 _&\-]*?)[ _\-]+(?P<type>dr[123])(?:[ _\-]+(?P<rest>.*))?$"
)
_MONTH_PATTERNS = (
    # '_' counts as a word character for \b, so boundaries are spelt out.
    re.compile(rf"(?:^|[^a-z])(?P<mon>{_MONTH_WORD})[ _\-]?(?P<year>\d{{4}}|\d{{2}})(?:$|[^0-9])"),
    re.compile(r"(?:^|[^0-9])(?P<year>20\d{2})[ _\-/]?(?P<num>0[1-9]|1[0-2])(?:$|[^0-9])"),
    re.compile(r"(?:^|[^0-9])(?P<num>0?[1-9]|1[0-2])/(?P<year>20\d{2})(?:$|[^0-9])"),
)


def parse_month(text: str) -> dt.date | None:
    """The first month named in ``text`` (nov20, November 2020, 2020-11, 11/2020), if any."""
    lowered = text.lower()
    for pattern in _MONTH_PATTERNS:
        if m := pattern.search(lowered):
            year = int(m["year"])
            year = year + 2000 if year < 100 else year
            month = _MONTHS[m["mon"]] if "mon" in m.groupdict() else int(m["num"])
            if 2000 <= year <= 2099:
                return dt.date(year, month, 1)
    return None


@dataclass(frozen=True)
class ReturnIdentity:
    la: LocalAuthority
    return_type: str | None  # from the file name, if it says
    return_month: dt.date
    decisions: tuple[str, ...]


def identify_return(
    path: Path, title_text: str, local_authorities: Sequence[LocalAuthority]
) -> ReturnIdentity:
    """Decide the LA and return month from the file name, else from the title block."""
    stem = path.stem.lower()
    decisions: list[str] = []
    where = Location(file=path.name)
    add_la = (
        "Rename the file as <la>_<return>_<month>.xlsx using one of the study's LAs ("
        + ", ".join(la.slug for la in local_authorities)
        + "), or add the LA to the study definition."
    )
    la: LocalAuthority | None = None
    file_type: str | None = None
    name_match = _FILE_NAME.match(stem)
    if name_match:
        file_type = name_match["type"]
        slug = name_match["la"].strip(" _-")
        la = next(
            (a for a in local_authorities if slug in (a.slug, normalise_heading(a.name).replace(" ", "_"))
             or slug.replace("-", "_") == a.slug),
            None,
        )  # fmt: skip
        if la is None:
            raise InputFileError(
                what=f"{path.name} is from local authority {slug!r}, which is not in the study",
                fix=add_la,
                where=where,
            )
        decisions.append(f"local authority {la.name} ({la.code}) from the file name")
    title = normalise_heading(title_text)
    named = [a for a in local_authorities if normalise_heading(a.name) in title]
    if la is not None and named and la not in named:
        raise InputFileError(
            what=f"{path.name} is named for {la.name} but its title block names "
            f"{', '.join(a.name for a in named)}",
            fix="Check this is the right LA's return; rename the file or correct the title.",
            where=where,
        )
    if la is None:
        # A name in another shape ("DR2 Rochdale Nov 2020.xlsx") may still name the LA.
        words = normalise_heading(stem)
        in_name = [a for a in local_authorities
                   if normalise_heading(a.name) in words or a.slug in words.split()]  # fmt: skip
        if len(in_name) == 1:
            la = in_name[0]
            decisions.append(f"local authority {la.name} ({la.code}) from the file name")
    if la is None:
        la = next(
            (a for a in local_authorities if normalise_heading(a.name) in title or a.slug in title.split()),
            None,
        )  # fmt: skip
        if la is None:
            raise InputFileError(
                what=f"cannot tell which local authority sent {path.name}: neither its name nor "
                "its title block names an LA in the study",
                fix=add_la,
                where=where,
            )
        decisions.append(f"local authority {la.name} ({la.code}) from the title block")
    month = parse_month(name_match["rest"] or "") if name_match else parse_month(stem)
    if month is not None:
        decisions.append(f"return month {month:%Y-%m} from the file name")
    else:
        month = parse_month(title_text)
        if month is None:
            raise InputFileError(
                what=f"cannot tell which month {path.name} reports",
                fix="Put the month in the file name, e.g. rochdale_dr2_nov20.xlsx, or in the "
                "title block above the table, e.g. 'November 2020'.",
                where=where,
            )
        decisions.append(f"return month {month:%Y-%m} from the title block")
    return ReturnIdentity(la, file_type, month, tuple(decisions))
