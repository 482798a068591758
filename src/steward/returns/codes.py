"""Code lists for ``code`` fields, as year-versioned data.

Each list has versions that apply from a collection year (the year the collection ends, as DfE
names them: 2024 = 2023-24); a return uses the latest version not after its return month's
collection year. A version holds the canonical codes with their descriptions, plus aliases:
other spellings local authorities use for a code (descriptions, older codes). Lookup is on a
folded key (lower case, letters and digits only), so "White - British", "white british" and
"WBRI" all land on WBRI.

Gender: Steward holds the DfE ``Sex`` codes used from 2024-25 (M male, F female, U not known /
not recorded / indeterminate). Older returns' GenderCurrent values (1, 2, 0, 9) map onto them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class CodeListVersion:
    from_year: int
    codes: Mapping[str, str]  # canonical code -> description
    aliases: Mapping[str, str] = field(default_factory=dict)  # other spelling -> code

    def lookup(self) -> dict[str, str]:
        """Folded spelling -> canonical code, for codes, descriptions and aliases."""
        table: dict[str, str] = {}
        for code, description in self.codes.items():
            table[fold(code)] = code
            table[fold(description)] = code
        for alias, code in self.aliases.items():
            table[fold(alias)] = code
        return table


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """The key a code is looked up by: lower case, only letters and digits."""
    return _NON_ALNUM.sub("", text.lower().replace("&", "and"))


GENDER_2019 = CodeListVersion(
    2019,
    {"M": "Male", "F": "Female", "U": "Not known"},
    {
        "1": "M", "2": "F", "0": "U", "9": "U", "Boy": "M", "Girl": "F",
        "Not recorded": "U", "Unknown": "U", "Indeterminate": "U", "Unborn": "U",
        "Not stated": "U",
    },
)  # fmt: skip

ETHNICITY_2019 = CodeListVersion(
    2019,
    {
        "WBRI": "White British",
        "WIRI": "White Irish",
        "WIRT": "Traveller of Irish heritage",
        "WOTH": "Any other White background",
        "WROM": "Gypsy/Roma",
        "MWBC": "White and Black Caribbean",
        "MWBA": "White and Black African",
        "MWAS": "White and Asian",
        "MOTH": "Any other mixed background",
        "AIND": "Indian",
        "APKN": "Pakistani",
        "ABAN": "Bangladeshi",
        "AOTH": "Any other Asian background",
        "BCRB": "Caribbean",
        "BAFR": "African",
        "BOTH": "Any other Black background",
        "CHNE": "Chinese",
        "OOTH": "Any other ethnic group",
        "REFU": "Refused",
        "NOBT": "Information not yet obtained",
    },
    {
        "White - British": "WBRI", "White English": "WBRI", "White - Irish": "WIRI",
        "Irish": "WIRI", "Irish Traveller": "WIRT", "White - Other": "WOTH",
        "Other White": "WOTH", "White Other": "WOTH", "Gypsy": "WROM", "Roma": "WROM",
        "Gypsy Roma": "WROM", "Mixed White and Black Caribbean": "MWBC",
        "Mixed White and Black African": "MWBA", "Mixed White and Asian": "MWAS",
        "Mixed Other": "MOTH", "Other Mixed": "MOTH", "Any other Mixed/Multiple background": "MOTH",
        "Asian Indian": "AIND", "Asian - Indian": "AIND", "Asian Pakistani": "APKN",
        "Asian - Pakistani": "APKN", "Asian Bangladeshi": "ABAN", "Asian - Bangladeshi": "ABAN",
        "Other Asian": "AOTH", "Asian Other": "AOTH", "Black Caribbean": "BCRB",
        "Black - Caribbean": "BCRB", "Black African": "BAFR", "Black - African": "BAFR",
        "Other Black": "BOTH", "Black Other": "BOTH", "Chinese": "CHNE",
        "Other": "OOTH", "Other ethnic group": "OOTH", "Refused": "REFU",
        "Not obtained": "NOBT", "Not known": "NOBT", "Unknown": "NOBT", "Not recorded": "NOBT",
    },
)  # fmt: skip

# Aggregate groups the evaluation reports by; a blank ethnicity joins the last group. Chinese
# sits in "Other", as in DfE's children-in-need and looked-after statistics.
ETHNICITY_GROUP_MISSING = "Missing, refused or not obtained"
ETHNICITY_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("WBRI", "WIRI"), "White British or Irish"),
        **dict.fromkeys(("WIRT", "WOTH", "WROM"), "Other White"),
        **dict.fromkeys(("MWBC", "MWBA", "MWAS", "MOTH"), "Mixed"),
        **dict.fromkeys(("AIND", "APKN", "ABAN", "AOTH"), "Asian"),
        **dict.fromkeys(("BCRB", "BAFR", "BOTH"), "Black"),
        **dict.fromkeys(("CHNE", "OOTH"), "Other"),
        **dict.fromkeys(("REFU", "NOBT"), ETHNICITY_GROUP_MISSING),
    }
)

LEGAL_STATUS_2019 = CodeListVersion(
    2019,
    {
        "C1": "Interim care order", "C2": "Full care order", "D1": "Freeing order",
        "E1": "Placement order", "V2": "Single period of accommodation under section 20",
        "V3": "Accommodated under an agreed series of short-term breaks (individual)",
        "V4": "Accommodated under an agreed series of short-term breaks (series)",
        "L1": "Under police protection", "L2": "Emergency protection order",
        "L3": "Child assessment order", "J1": "Remanded to LA accommodation",
        "J2": "Placed in LA accommodation under PACE", "J3": "Youth rehabilitation order",
    },
)  # fmt: skip

_PLACE_2019 = {
    "A3": "Placed for adoption (consent, with current foster carer)",
    "A4": "Placed for adoption (consent, not with current foster carer)",
    "A5": "Placed for adoption (placement order, with current foster carer)",
    "A6": "Placed for adoption (placement order, not with current foster carer)",
    "H5": "Semi-independent living accommodation",
    "K1": "Secure children's home",
    "K2": "Children's home",
    "P1": "Placed with own parent(s)",
    "P2": "Independent living",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS/health trust",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution or prison",
    "S1": "All residential schools",
    "T0": "Temporary placement (all types)",
    "T1": "Temporary periods in hospital",
    "T2": "Temporary absences on holiday",
    "T3": "Temporary accommodation whilst normal carer unavailable",
    "T4": "Temporary accommodation of seven days or less",
    "U1": "Foster placement with relative or friend (long term)",
    "U2": "Foster placement with relative or friend (fostering for adoption)",
    "U3": "Foster placement with relative or friend (not long term)",
    "U4": "Foster placement with other foster carer (long term)",
    "U5": "Foster placement with other foster carer (fostering for adoption)",
    "U6": "Foster placement with other foster carer (not long term)",
    "Z1": "Other placements",
}
PLACEMENT_2019 = CodeListVersion(2019, _PLACE_2019)
# K3 (supported accommodation) is valid from 2024-25.
PLACEMENT_2025 = CodeListVersion(2025, {**_PLACE_2019, "K3": "Supported accommodation"})

# The DR3 NEET sheet carries the LA's own activity recording; the study keeps a short list of
# its own, each code in one of three groups (EET, NEET, unknown).
MAIN_ACTIVITY_2019 = CodeListVersion(
    2019,
    {
        "EDU": "Full-time education", "APP": "Apprenticeship",
        "EMP": "Employment, with or without training", "TRN": "Other training",
        "NEET_AVAIL": "NEET, available", "NEET_UNAVAIL": "NEET, not available",
        "UNKNOWN": "Activity not known",
    },
    {
        "Education": "EDU", "School": "EDU", "College": "EDU", "Sixth form": "EDU",
        "Employment": "EMP", "Employed": "EMP", "Training": "TRN", "NEET available": "NEET_AVAIL",
        "NEET not available": "NEET_UNAVAIL", "Not known": "UNKNOWN", "NK": "UNKNOWN",
    },
)  # fmt: skip
MAIN_ACTIVITY_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("EDU", "APP", "EMP", "TRN"), "EET"),
        **dict.fromkeys(("NEET_AVAIL", "NEET_UNAVAIL"), "NEET"),
        "UNKNOWN": "unknown",
    }
)

_CLOSURE_2019 = {
    "RC1": "Adopted",
    "RC2": "Died",
    "RC3": "Child arrangements order",
    "RC4": "Special guardianship order",
    "RC5": "Transferred to services of another LA",
    "RC6": "Transferred to adult social care",
    "RC7": "Services ceased for any other reason",
    "RC8": "Case closed after assessment, no further action",
}
CLOSURE_REASON_2019 = CodeListVersion(2019, _CLOSURE_2019)
CLOSURE_REASON_2023 = CodeListVersion(
    2023, {**_CLOSURE_2019, "RC9": "Case closed after assessment, referred to early help"}
)

CODE_LISTS: Mapping[str, tuple[CodeListVersion, ...]] = MappingProxyType(
    {
        "gender": (GENDER_2019,),
        "ethnicity": (ETHNICITY_2019,),
        "legal_status": (LEGAL_STATUS_2019,),
        "placement": (PLACEMENT_2019, PLACEMENT_2025),
        "main_activity": (MAIN_ACTIVITY_2019,),
        "closure_reason": (CLOSURE_REASON_2019, CLOSURE_REASON_2023),
    }
)


def collection_year(on: dt.date) -> int:
    """The DfE collection year a date falls in (years run April to March; 2024 = 2023-24)."""
    return on.year + 1 if on.month >= 4 else on.year


def code_list(name: str, on: dt.date) -> CodeListVersion:
    """The version of code list ``name`` in force for a return of month ``on``."""
    versions = CODE_LISTS[name]
    year = collection_year(on)
    in_force = [v for v in versions if v.from_year <= year]
    return in_force[-1] if in_force else versions[0]
