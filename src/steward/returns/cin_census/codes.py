"""CIN census code lists by collection year (the year the census ends in), kept as data."""

from __future__ import annotations

from steward.returns.codes import ETHNICITY_GROUPS

# The DfE's 18 ethnicity codes plus refused / not obtained, as every collection uses them.
ETHNICITY = frozenset(ETHNICITY_GROUPS)
DISABILITY = frozenset(
    ["NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"]
)
GENDER_CURRENT = frozenset({"0", "1", "2", "9"})
SEX = frozenset({"M", "F", "U"})
UPN_UNKNOWN = frozenset(f"UN{i}" for i in range(1, 8))
PRIMARY_NEED = frozenset(f"N{i}" for i in range(0, 10))
CATEGORY_OF_ABUSE = frozenset({"NEG", "PHY", "SAB", "EMO", "MUL"})

_REFERRAL_SOURCE_BASE = frozenset(
    [
        "1A",
        "1B",
        "1C",
        "1D",
        "2A",
        "2B",
        "3A",
        "3B",
        "3C",
        "3D",
        "3E",
        "3F",
        "4",
        "5A",
        "5B",
        "5C",
        "6",
        "7",
        "8",
        "9",
        "10",
    ]
)
_CLOSURE_BASE = frozenset(f"RC{i}" for i in range(1, 9))
_FACTORS_BASE = frozenset(
    [
        "1A",
        "1B",
        "1C",
        "2A",
        "2B",
        "2C",
        "3A",
        "3B",
        "3C",
        "4A",
        "4B",
        "4C",
        "5A",
        "5B",
        "5C",
        "6A",
        "6B",
        "6C",
        "7A",
        "8B",
        "8C",
        "8D",
        "8E",
        "8F",
        "9A",
        "10A",
        "11A",
        "12A",
        "13A",
        "14A",
        "15A",
        "16A",
        "17A",
        "20",
        "21",
        "22A",
        "23A",
    ]
)


def referral_sources(year: int) -> frozenset[str]:
    return _REFERRAL_SOURCE_BASE | ({"5D"} if year >= 2023 else set())


def closure_reasons(year: int) -> frozenset[str]:
    return _CLOSURE_BASE | ({"RC9"} if year >= 2023 else set())


def assessment_factors(year: int) -> frozenset[str]:
    # 2021 split physical and sexual abuse into B (in the home) and C (outside it).
    abuse = {"18B", "18C", "19B", "19C"} if year >= 2021 else {"18A", "19A"}
    cce = {"24A"} if year >= 2022 else set()
    return _FACTORS_BASE | abuse | cce
