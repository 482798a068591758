"""Every kind of planted mess appears when mess is on, and none when it is off."""

from __future__ import annotations

import re

import fastexcel
import pandas as pd
from synth_helpers import as_dates, as_months, latest, of, read_tidy

from steward.returns.layout import DR2_REFERRALS, TABLES
from steward.synth import MESS_KINDS, MessKind, SynthResult
from steward.synth.mess import EDUCATION_FIELDS, EXTRA_COLUMN_HEADING, MISSPELT_HEADINGS


def _messy_sheet(path: object, sheet: int = 0) -> pd.DataFrame:
    return fastexcel.read_excel(path).load_sheet(sheet, header_row=2).to_pandas()


def _file(result: SynthResult, kind: MessKind, prefix: str = "") -> str:
    return next(name for name in result.mess[kind] if name.split("_")[1].startswith(prefix))


def test_every_kind_is_planted(messy_run: SynthResult) -> None:
    assert set(messy_run.mess) == set(MESS_KINDS)


def test_tidy_has_no_mess_and_canonical_headers_on_row_1(tidy_run: SynthResult) -> None:
    assert tidy_run.mess == {}
    names = {t.sheet_names[0]: [f.name for f in t.fields] for t in TABLES}
    for path in tidy_run.files:
        for sheet, frame in read_tidy(path).items():
            assert list(frame.columns) == names[sheet], (path.name, sheet)
    refs = read_tidy(latest(tidy_run, "rochdale", "dr2"))["Referrals"]
    assert set(refs["gender"]) <= {"Male", "Female", "Unknown"}
    assert set(refs["disabled"]) <= {"Yes", "No"}
    assert refs["birth_month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert refs["ethnicity"].notna().all()
    assert not refs.duplicated(["child_id", "referral_date"]).any()
    assert str(refs["referral_date"].dtype).startswith("datetime64")


def test_title_block_puts_the_header_on_row_3(messy_run: SynthResult) -> None:
    path = next(p for p in messy_run.files if p.name == messy_run.mess[MessKind.TITLE_BLOCK][0])
    top = fastexcel.read_excel(path).load_sheet(0, header_row=None, n_rows=3).to_pandas()
    assert str(top.iloc[0, 0]).startswith("No Wrong Door evaluation – Data Return")
    assert str(top.iloc[1, 0]).startswith("Local authority: ")
    assert "Period: " in str(top.iloc[1, 0])
    first_fields = {t.fields[0] for t in TABLES if t.return_type in path.name}
    headings = {h for f in first_fields for h in (*f.headings, *MISSPELT_HEADINGS.get(f.name, ()))}
    assert top.iloc[2, 0] in headings


def test_headings_vary_and_some_are_misspelt(messy_run: SynthResult) -> None:
    known = {h for t in TABLES for f in t.fields for h in f.headings}
    headings_seen: set[str] = set()
    unknown: set[str] = set()
    for path in messy_run.files:
        for name in fastexcel.read_excel(path).sheet_names:
            cols = fastexcel.read_excel(path).load_sheet(name, header_row=2, n_rows=1).to_pandas()
            headings_seen |= set(cols.columns)
            unknown |= {c for c in cols.columns if c not in known}
    referral_date = DR2_REFERRALS.field("referral_date")
    assert len(headings_seen & set(referral_date.headings[1:])) >= 1
    misspelt = {h for variants in MISSPELT_HEADINGS.values() for h in variants}
    assert EXTRA_COLUMN_HEADING in unknown
    assert unknown - {EXTRA_COLUMN_HEADING} and unknown - {EXTRA_COLUMN_HEADING} <= misspelt


def test_dates_as_serial_numbers_and_as_text(messy_run: SynthResult) -> None:
    serial = _messy_sheet(of_name(messy_run, _file(messy_run, MessKind.DATE_SERIAL, "dr2")))
    assert pd.api.types.is_float_dtype(serial.iloc[:, 2])
    assert serial.iloc[:, 2].between(43500, 46000).all()  # 2019-2025 as Excel serials
    text = _messy_sheet(of_name(messy_run, _file(messy_run, MessKind.DATE_TEXT, "dr2")))
    assert text.iloc[:, 2].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()


def test_birth_months_gender_and_flags_in_la_formats(messy_run: SynthResult) -> None:
    seen_months, seen_gender, seen_flags = set(), set(), set()
    for slug in ("rochdale", "redcar", "warrington", "norfolk", "leicester"):
        refs = _messy_sheet(latest(messy_run, slug, "dr2"))
        birth = refs.iloc[:, next(i for i, c in enumerate(refs.columns) if "irth" in c)]
        sample = birth.dropna().iloc[0]
        if isinstance(sample, str):
            seen_months.add("iso" if re.fullmatch(r"\d{4}-\d{2}", sample) else "mm_yyyy")
        else:
            seen_months.add("date")
        gender_col = next(c for c in refs.columns if c.strip().lower() in ("gender", "sex"))
        seen_gender |= {str(v) for v in refs[gender_col].dropna().unique()}
        uasc_col = next(c for c in refs.columns if "UASC" in c or "naccompanied" in c)
        seen_flags |= {str(v) for v in refs[uasc_col].dropna().unique()}
    assert seen_months == {"iso", "mm_yyyy", "date"}
    assert {"M", "F"} <= seen_gender and {"1.0", "2.0"} <= seen_gender
    assert {"Y", "N"} <= seen_flags and {"1.0", "0.0"} <= seen_flags
    assert {"Yes", "No"} <= seen_flags


def test_extra_column_and_missing_education(messy_run: SynthResult) -> None:
    extra = _messy_sheet(of_name(messy_run, _file(messy_run, MessKind.EXTRA_COLUMN)))
    assert EXTRA_COLUMN_HEADING in extra.columns
    missing = _messy_sheet(of_name(messy_run, _file(messy_run, MessKind.MISSING_EDUCATION)))
    education = {h for f in EDUCATION_FIELDS for h in DR2_REFERRALS.field(f).headings}
    assert not education & {c.strip() for c in missing.columns}
    assert len(missing.columns) == len(DR2_REFERRALS.fields) - 2


def test_row_level_mess(messy_run: SynthResult) -> None:
    name = _file(messy_run, MessKind.DUPLICATE_REFERRALS)
    refs = _messy_sheet(of_name(messy_run, name))
    ids, dates = refs.iloc[:, 0], refs.iloc[:, 2]
    assert pd.DataFrame({"c": ids, "d": dates}).duplicated().any()
    name = _file(messy_run, MessKind.MISSING_ETHNICITY)
    refs = _messy_sheet(of_name(messy_run, name))
    eth = next(c for c in refs.columns if "thnic" in c)
    assert refs[eth].isna().sum() >= 1
    for name in messy_run.mess[MessKind.BIRTH_AFTER_REFERRAL]:
        refs = _messy_sheet(of_name(messy_run, name))
        birth = as_months(refs.iloc[:, next(i for i, c in enumerate(refs.columns) if "irth" in c)])
        referral = as_dates(refs.iloc[:, 2]).dt.to_period("M").dt.to_timestamp()
        assert (birth > referral).sum() >= 1, name


def test_tidy_files_have_no_birth_after_referral(tidy_run: SynthResult) -> None:
    for path in tidy_run.files:
        if "_dr2_" in path.name:
            refs = read_tidy(path)["Referrals"]
            birth = as_months(refs["birth_month"])
            assert (birth <= refs["referral_date"]).all()


def test_leading_zero_ids_stay_text(messy_run: SynthResult) -> None:
    name = messy_run.mess[MessKind.LEADING_ZERO_IDS][0]
    reader = fastexcel.read_excel(of_name(messy_run, name))
    for sheet in reader.sheet_names:
        frame = reader.load_sheet(sheet, header_row=2).to_pandas()
        ids = frame.iloc[:, 0]
        assert ids.map(type).eq(str).all()
        assert ids.str.fullmatch(r"0\d{5}").all()


def of_name(result: SynthResult, name: str) -> object:
    return next(p for p in result.files if p.name == name)


def test_messy_and_tidy_hold_the_same_referrals(
    messy_run: SynthResult, tidy_run: SynthResult
) -> None:
    tidy = read_tidy(latest(tidy_run, "norfolk", "dr2"))["Referrals"]
    messy = _messy_sheet(latest(messy_run, "norfolk", "dr2"))
    # Norfolk's messy file only adds duplicated first referrals (ids with an "A" suffix).
    original = messy[~messy.iloc[:, 1].str.endswith("A")]
    assert len(original) == len(tidy)
    assert list(original.iloc[:, 1]) == list(tidy["referral_id"])
    assert len(of(tidy_run, "norfolk", "dr2")) == 2
