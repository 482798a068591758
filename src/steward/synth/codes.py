"""Code lists and their frequencies in the synthetic returns.

Codes follow the DfE lists the returns use (CIN census ethnicity and closure reasons, SSDA903
legal status and placement). Weights are plausible shapes for the study's local authorities
(about three quarters White British), not estimates of any real authority.
"""

from __future__ import annotations

import numpy as np

# DfE ethnicity codes; REFU (refused) and NOBT (not obtained) are valid codes, not missing.
ETHNICITY: dict[str, float] = {
    "WBRI": 75.0,
    "WIRI": 0.4,
    "WIRT": 0.3,
    "WOTH": 3.5,
    "WROM": 0.4,
    "MWBC": 2.2,
    "MWBA": 0.8,
    "MWAS": 1.0,
    "MOTH": 1.8,
    "AIND": 1.8,
    "APKN": 3.0,
    "ABAN": 0.6,
    "AOTH": 1.2,
    "BCRB": 0.8,
    "BAFR": 1.8,
    "BOTH": 0.6,
    "CHNE": 0.3,
    "OOTH": 1.5,
    "REFU": 0.7,
    "NOBT": 1.5,
}
# Unaccompanied asylum-seeking children arrive mostly from outside Britain and Ireland.
UASC_ETHNICITY: dict[str, float] = {"AOTH": 30.0, "BAFR": 25.0, "OOTH": 35.0, "WOTH": 10.0}

GENDER: dict[str, float] = {"Male": 51.0, "Female": 48.2, "Unknown": 0.8}

# SSDA903 legal status codes (LS) for care episodes.
LEGAL_STATUS: dict[str, float] = {
    "V2": 36.0,  # single s20 accommodation
    "C1": 24.0,  # interim care order
    "C2": 24.0,  # full care order
    "E1": 4.0,  # placement order
    "L1": 4.0,  # police protection
    "L2": 2.0,  # emergency protection order
    "J1": 2.5,  # remand
    "J2": 1.0,  # PACE transfer
    "J3": 0.5,  # youth rehabilitation order with residence
    "V3": 1.0,  # short breaks, single
    "V4": 1.0,  # short breaks, series
}
# SSDA903 placement codes (PLACE): foster care U1–U6 dominates; teenagers go more to K2/H5.
PLACEMENT: dict[str, float] = {
    "U1": 6.0,
    "U2": 3.0,
    "U3": 5.0,
    "U4": 24.0,
    "U5": 10.0,
    "U6": 20.0,
    "K2": 12.0,
    "R1": 3.0,
    "P1": 6.0,
    "H5": 6.0,
    "A4": 2.0,
    "S1": 1.0,
    "Z1": 2.0,
}

# CIN census ReasonForClosure, for cases that went beyond the referral.
CLOSURE_REASON: dict[str, float] = {
    "RC1": 1.0,  # adopted
    "RC2": 0.2,  # died
    "RC3": 3.0,  # child arrangements order
    "RC4": 2.0,  # special guardianship order
    "RC5": 5.0,  # transferred to another LA
    "RC6": 2.0,  # transferred to adult social care
    "RC7": 50.0,  # ceased for any other reason
    "RC8": 22.0,  # closed after assessment, no further action
    "RC9": 14.8,  # closed after assessment, referred to early help
}
# A referral with no further action closes as RC8 or RC9.
NFA_CLOSURE_REASON: dict[str, float] = {"RC8": 70.0, "RC9": 30.0}

# Main activity of 16–20 year olds (the DR3 NEET sheet). The returns carry the LA's own
# activity recording, so the study keeps a short list of its own, grouped EET / NEET / unknown.
MAIN_ACTIVITY: dict[str, float] = {
    "EDU": 46.0,  # EET: full-time education (school, sixth form, college)
    "APP": 7.0,  # EET: apprenticeship
    "EMP": 9.0,  # EET: employment, with or without training
    "TRN": 5.0,  # EET: other training or re-engagement programme
    "NEET_AVAIL": 18.0,  # NEET: available for education, employment or training
    "NEET_UNAVAIL": 7.0,  # NEET: not available (illness, caring, pregnancy, custody)
    "UNKNOWN": 8.0,  # activity not known
}
MAIN_ACTIVITY_GROUP: dict[str, str] = {
    "EDU": "EET",
    "APP": "EET",
    "EMP": "EET",
    "TRN": "EET",
    "NEET_AVAIL": "NEET",
    "NEET_UNAVAIL": "NEET",
    "UNKNOWN": "unknown",
}


def draw(rng: np.random.Generator, codes: dict[str, float], size: int) -> np.ndarray:
    """Draw ``size`` codes with the given relative weights (an object array of str)."""
    keys = np.array(list(codes), dtype=object)
    weights = np.array(list(codes.values()), dtype=float)
    return keys[rng.choice(len(keys), size=size, p=weights / weights.sum())]
