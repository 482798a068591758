from __future__ import annotations

import re
from collections import Counter

from steward.study.local_authorities import (
    ENGLISH_LOCAL_AUTHORITIES,
    ENGLISH_REGIONS,
    NWD_LOCAL_AUTHORITIES,
    english_local_authority,
)


def test_153_english_las_with_unique_codes_and_slugs() -> None:
    assert len(ENGLISH_LOCAL_AUTHORITIES) == 153
    assert len({la.code for la in ENGLISH_LOCAL_AUTHORITIES}) == 153
    assert len({la.slug for la in ENGLISH_LOCAL_AUTHORITIES}) == 153
    assert len({la.name for la in ENGLISH_LOCAL_AUTHORITIES}) == 153
    for la in ENGLISH_LOCAL_AUTHORITIES:
        assert re.fullmatch(r"\d{3}", la.code), la
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", la.slug), la
        assert la.region in ENGLISH_REGIONS, la


def test_regions_hold_their_las() -> None:
    counts = Counter(la.region for la in ENGLISH_LOCAL_AUTHORITIES)
    assert counts == {
        "North East": 12,
        "North West": 24,
        "Yorkshire and the Humber": 15,
        "East Midlands": 10,
        "West Midlands": 14,
        "East of England": 11,
        "London": 33,
        "South East": 19,
        "South West": 15,
    }


def test_reorganised_las_carry_their_current_codes() -> None:
    expected = {
        "942": "Cumberland",
        "943": "Westmorland and Furness",
        "940": "North Northamptonshire",
        "941": "West Northamptonshire",
        "838": "Dorset",
        "839": "Bournemouth, Christchurch and Poole",
    }
    for code, name in expected.items():
        la = english_local_authority(code)
        assert la is not None and la.name == name
    # Abolished councils are not listed: Cumbria, Northamptonshire, old Dorset, Poole.
    for gone in ("909", "928", "835", "836", "837"):
        assert english_local_authority(gone) is None


def test_nwd_las_are_english_las_with_the_same_codes() -> None:
    for nwd in NWD_LOCAL_AUTHORITIES:
        assert english_local_authority(nwd.code) == nwd
