"""The SSDA903 tables as data: their columns, types, code lists and which fields identify people.

A file is recognised by its header row, never its name. Dates are ``dd/mm/YYYY``. Postcodes
are reduced to the district before anything is stored; identifiers become pseudonyms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from steward.returns.codes import ETHNICITY_GROUPS

ColumnType = Literal["string", "date", "int", "code", "postcode", "identifier", "flag"]

SEX = ("1", "2")
ETHNIC = tuple(ETHNICITY_GROUPS)  # the DfE codes, shared with the CIN census
RNE = ("S", "L", "P", "T", "B", "U")
LS = ("C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3")
CIN_NEED = tuple(f"N{i}" for i in range(1, 9))
PLACE = tuple(
    [
        "A3",
        "A4",
        "A5",
        "A6",
        "H5",
        "K1",
        "K2",
        "K3",
        "P1",
        "P2",
        "P3",
        "R1",
        "R2",
        "R3",
        "R5",
        "S1",
        "T0",
        "T1",
        "T2",
        "T3",
        "T4",
        "U1",
        "U2",
        "U3",
        "U4",
        "U5",
        "U6",
        "Z1",
    ]
)
PLACE_PROVIDER = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
REC = tuple(
    [
        "X1",
        "E11",
        "E12",
        "E2",
        "E3",
        "E4A",
        "E4B",
        "E13",
        "E41",
        "E45",
        "E46",
        "E47",
        "E48",
        "E5",
        "E6",
        "E7",
        "E8",
        "E9",
        "E14",
        "E15",
        "E16",
        "E17",
    ]
)
REASON_PLACE_CHANGE = tuple(
    [
        "CARPL",
        "CLOSE",
        "ALLEG",
        "STAND",
        "APPRR",
        "CREQB",
        "CREQO",
        "CHILD",
        "LAREQ",
        "PLACE",
        "CUSTOD",
        "OTHER",
    ]
)
REVIEW_CODE = tuple(f"PN{i}" for i in range(0, 8))
MISSING = ("M", "A")
UPN_UNKNOWN = tuple(f"UN{i}" for i in range(1, 6))


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "string"
    codes: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Ssda903Table:
    name: str
    columns: tuple[Column, ...]
    event_key: tuple[str, ...] = field(default=("CHILD",))

    @property
    def column_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns)


def _c(
    name: str, type_: ColumnType = "string", codes: tuple[str, ...] = (), *, required: bool = False
) -> Column:
    return Column(name, type_, codes, required)


CHILD = _c("CHILD", "identifier", required=True)
DOB = _c("DOB", "date", required=True)

TABLES: tuple[Ssda903Table, ...] = (
    Ssda903Table(
        "s903_header",
        (
            CHILD,
            _c("SEX", "code", SEX, required=True),
            DOB,
            _c("ETHNIC", "code", ETHNIC),
            _c("UPN", "identifier"),
            _c("MOTHER", "flag"),
            _c("MC_DOB", "date"),
        ),
    ),
    Ssda903Table(
        "s903_episodes",
        (
            CHILD,
            _c("DECOM", "date", required=True),
            _c("RNE", "code", RNE, required=True),
            _c("LS", "code", LS, required=True),
            _c("CIN", "code", CIN_NEED),
            _c("PLACE", "code", PLACE, required=True),
            _c("PLACE_PROVIDER", "code", PLACE_PROVIDER),
            _c("DEC", "date"),
            _c("REC", "code", REC),
            _c("REASON_PLACE_CHANGE", "code", REASON_PLACE_CHANGE),
            _c("HOME_POST", "postcode"),
            _c("PL_POST", "postcode"),
            _c("URN"),
        ),
        event_key=("CHILD", "DECOM"),
    ),
    Ssda903Table(
        "s903_uasc",
        (CHILD, _c("SEX", "code", SEX), DOB, _c("DUC", "date")),
    ),
    Ssda903Table(
        "s903_reviews",
        (CHILD, DOB, _c("REVIEW", "date", required=True), _c("REVIEW_CODE", "code", REVIEW_CODE)),
        event_key=("CHILD", "REVIEW"),
    ),
    Ssda903Table(
        "s903_missing",
        (
            CHILD,
            DOB,
            _c("MISSING", "code", MISSING, required=True),
            _c("MIS_START", "date", required=True),
            _c("MIS_END", "date"),
        ),
        event_key=("CHILD", "MIS_START"),
    ),
    Ssda903Table(
        "s903_oc2",
        (
            CHILD,
            DOB,
            _c("SDQ_SCORE", "int"),
            _c("SDQ_REASON"),
            _c("CONVICTED", "flag"),
            _c("HEALTH_CHECK", "flag"),
            _c("IMMUNISATIONS", "flag"),
            _c("TEETH_CHECK", "flag"),
            _c("HEALTH_ASSESSMENT", "flag"),
            _c("SUBSTANCE_MISUSE", "flag"),
            _c("INTERVENTION_RECEIVED", "flag"),
            _c("INTERVENTION_OFFERED", "flag"),
        ),
    ),
)


def identify(header: list[str]) -> tuple[Ssda903Table | None, list[str], list[str]]:
    """The table whose columns best match ``header``: (table, missing columns, extra columns).

    A table is chosen when it shares the most columns with the header (CHILD alone never
    decides); its required columns that are absent are returned as missing.
    """
    cols = {h.strip().upper() for h in header}
    best, best_score = None, 1
    for table in TABLES:
        score = len(cols & table.column_names)
        if score > best_score:
            best, best_score = table, score
    if best is None:
        return None, [], sorted(cols)
    missing = sorted(c.name for c in best.columns if c.required and c.name not in cols)
    extra = sorted(cols - best.column_names)
    return best, missing, extra
