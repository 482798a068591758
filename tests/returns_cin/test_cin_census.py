from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from steward.errors import InputFileError
from steward.returns.cin_census.reader import read_header
from steward.returns.cin_census.validate import read_cin_census

CIN = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "cin_census"

CHILD = """
    <Child>
      <ChildIdentifiers>
        <LAchildID>{child_id}</LAchildID>
        <UPN>{upn}</UPN>
        <PersonBirthDate>{birth}</PersonBirthDate>
        <GenderCurrent>1</GenderCurrent>
      </ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>{referral}</CINreferralDate>
        <ReferralSource>1A</ReferralSource>
        <ReferralNFA>false</ReferralNFA>
        <ChildProtectionPlans>
          <CPPstartDate>2021-05-01</CPPstartDate>
          <CPPendDate>{cpp_end}</CPPendDate>
          <InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>
          <LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>
          <NumberOfPreviousCPP>1</NumberOfPreviousCPP>
        </ChildProtectionPlans>
      </CINdetails>
    </Child>"""


def census(
    tmp_path: Path, children: list[dict[str, str]], *, collection: str = "CIN", prolog: str = ""
) -> Path:
    body = "".join(
        CHILD.format(
            **{
                "upn": "A123456789012",
                "birth": "2008-01-15",
                "referral": "2021-04-01",
                "cpp_end": "2021-09-01",
                **c,
            }
        )
        for c in children
    )
    text = f"""{prolog}<Message>
  <Header>
    <CollectionDetails><Collection>{collection}</Collection><Year>2021</Year>
      <ReferenceDate>2022-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>926</LEA></Source>
  </Header>
  <Children>{body}
  </Children>
</Message>"""
    path = tmp_path / "census_2019.xml"  # the name's year is deliberately wrong
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(p.name for p in CIN.glob("*.xml")))
def test_every_fixture_is_read(name: str) -> None:
    header, batches = read_cin_census(CIN / name)
    total = 0
    for batch in batches:
        kept = batch.tables["cin_children"].num_rows
        assert kept + batch.quarantined.num_rows == batch.children
        total += batch.children
    assert total > 0
    assert header.la_code


def test_year_comes_from_header_not_name(tmp_path: Path) -> None:
    path = census(tmp_path, [{"child_id": "C1"}])
    assert read_header(path).collection_year == 2022
    assert read_header(CIN / "CIN_Census_2024.xml").label == "2023-24"


def test_sex_in_a_gender_current_year_is_reported() -> None:
    _, batches = read_cin_census(CIN / "CIN_Census_2024.xml")
    failures = [f for b in batches for f in b.failures]
    assert any(f.field == "Sex" and "2023-24" in f.message for f in failures)


def test_pre_proceedings_are_read() -> None:
    _, batches = read_cin_census(CIN / "CIN_Census_2026.xml")
    batch = next(batches)
    # Children are quarantined for rule failures but their pre-proceedings were parsed.
    assert batch.quarantined.num_rows == 2


def test_clean_child_is_kept_with_all_tables(tmp_path: Path) -> None:
    _, batches = read_cin_census(census(tmp_path, [{"child_id": "C1"}, {"child_id": "C2"}]))
    batch = next(batches)
    assert batch.tables["cin_children"].num_rows == 2
    assert batch.tables["cin_cp_plans"].num_rows == 2
    assert batch.quarantined.num_rows == 0


def test_rule_failures_quarantine_the_child_with_reasons(tmp_path: Path) -> None:
    path = census(
        tmp_path,
        [
            {"child_id": "C1"},
            {"child_id": "C2", "cpp_end": "2021-01-01"},  # CPP ends before it starts
            {"child_id": "C3", "upn": "12345"},  # not a UPN
        ],
    )
    _, batches = read_cin_census(path)
    batch = next(batches)
    assert batch.tables["cin_children"].column("child_id").to_pylist() == ["C1"]
    reasons = dict(
        zip(
            batch.quarantined.column("child_seq").to_pylist(),
            batch.quarantined.column("reasons").to_pylist(),
            strict=True,
        )
    )
    assert "CIN140" in reasons[2]
    assert "CIN101" in reasons[3]
    # Reports carry codes and positions, never the offending identifier.
    assert all("12345" not in f.message for f in batch.failures)


def test_child_id_reused_with_another_birth_date(tmp_path: Path) -> None:
    path = census(tmp_path, [{"child_id": "C1"}, {"child_id": "C1", "birth": "2009-02-02"}])
    _, batches = read_cin_census(path, batch_children=1)
    failures = [f for b in batches for f in b.failures]
    assert any(f.code == "CIN150" for f in failures)


def test_unparseable_date_is_located(tmp_path: Path) -> None:
    _, batches = read_cin_census(census(tmp_path, [{"child_id": "C1", "referral": "01/04/2021"}]))
    batch = next(batches)
    assert batch.quarantined.num_rows == 1
    assert any(f.field == "CINreferralDate" and f.child_seq == 1 for f in batch.failures)


def test_xxe_is_refused(tmp_path: Path) -> None:
    prolog = '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    with pytest.raises(InputFileError, match="DTD or entities"):
        read_cin_census(census(tmp_path, [{"child_id": "&x;"}], prolog=prolog))


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};">' for i in range(1, 10))
    prolog = f'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY l0 "lol">{lol}]>\n'
    with pytest.raises(InputFileError, match="DTD or entities"):
        read_cin_census(census(tmp_path, [{"child_id": "&l9;"}], prolog=prolog))


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = census(tmp_path, [{"child_id": "C1"}])
    path.write_text(path.read_text()[:-40])
    _header, batches = read_cin_census(path)
    with pytest.raises(InputFileError, match="malformed") as info:
        list(batches)
    assert info.value.where.row is not None


def test_another_collection_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not a Children in Need census"):
        read_cin_census(census(tmp_path, [{"child_id": "C1"}], collection="SchoolCensus"))


def test_missing_birth_dates_are_not_a_reused_id(tmp_path: Path) -> None:
    path = census(tmp_path, [{"child_id": "C1", "birth": ""}, {"child_id": "C1", "birth": ""}])
    _, batches = read_cin_census(path)
    batch = next(batches)
    assert not any(f.code == "CIN150" for f in batch.failures)
    assert any(f.code == "CIN104" for f in batch.failures)


def test_kept_tables_have_the_spec_types_even_when_a_column_is_all_missing(
    tmp_path: Path,
) -> None:
    _, batches = read_cin_census(census(tmp_path, [{"child_id": "C1"}]))
    tables = next(batches).tables
    assert tables["cin_children"].schema.field("former_upn").type == pa.string()
    assert tables["cin_children"].schema.field("episode_seq").type == pa.int64()
    assert tables["cin_cp_plans"].schema.field("previous_cpp").type == pa.int64()
    assert tables["cin_pre_proceedings"].num_rows == 0
    assert tables["cin_pre_proceedings"].schema.field("fgdm_offered").type == pa.bool_()


def test_child_without_identifiers_is_quarantined_not_kept_without_an_id(tmp_path: Path) -> None:
    path = census(tmp_path, [{"child_id": "C1"}, {"child_id": "C2"}])
    text = path.read_text(encoding="utf-8")
    start = text.rindex("<ChildIdentifiers>")
    end = text.rindex("</ChildIdentifiers>") + len("</ChildIdentifiers>")
    path.write_text(text[:start] + text[end:], encoding="utf-8")  # the second child's
    _, batches = read_cin_census(path)
    batch = next(batches)
    assert batch.tables["cin_episodes"].column("child_seq").to_pylist() == [1]
    assert batch.quarantined.column("child_seq").to_pylist() == [2]
    assert "CIN100" in batch.quarantined.column("reasons")[0].as_py()
