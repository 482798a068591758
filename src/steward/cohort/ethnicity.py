"""Aggregate ethnicity groups used in analyses (White British or Irish as the reference)."""

from __future__ import annotations

REFERENCE_GROUP = "White British or Irish"
MISSING_GROUP = "Missing"

# DfE ethnicity codes (18 + refused / not obtained) to the evaluation's aggregate groups.
ETHNICITY_GROUPS: dict[str, str] = {
    "WBRI": REFERENCE_GROUP,
    "WIRI": REFERENCE_GROUP,
    "WIRT": "Other White",
    "WOTH": "Other White",
    "WROM": "Other White",
    "MWBC": "Mixed",
    "MWBA": "Mixed",
    "MWAS": "Mixed",
    "MOTH": "Mixed",
    "AIND": "Asian",
    "APKN": "Asian",
    "ABAN": "Asian",
    "AOTH": "Asian",
    "CHNE": "Asian",
    "BCRB": "Black",
    "BAFR": "Black",
    "BOTH": "Black",
    "OOTH": "Other",
    "REFU": MISSING_GROUP,
    "NOBT": MISSING_GROUP,
}
GROUPS = (REFERENCE_GROUP, "Other White", "Mixed", "Asian", "Black", "Other", MISSING_GROUP)
