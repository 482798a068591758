"""Safe opening: file type from bytes; dangerous or damaged files refused with a clear error."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from steward.errors import InputFileError
from steward.returns import read_return
from steward.returns.files import OLE_MAGIC, ZipLimits, check_xlsx, detect_kind, sniff_csv

from .conftest import Returns


def _rewrite(src: Path, dst: Path, *, replace: dict[str, bytes] | None = None,
             add: dict[str, bytes] | None = None) -> Path:  # fmt: skip
    """Copy an xlsx, replacing or adding parts."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def _refused(path: Path, *words: str) -> InputFileError:
    with pytest.raises(InputFileError) as caught:
        read_return(path)
    error = caught.value
    assert error.where.file == path.name
    text = str(error).lower()
    for word in words:
        assert word.lower() in text, text
    assert error.fix
    return error


def test_a_clean_workbook_passes_the_checks(returns: Returns) -> None:
    path = returns.dr2()
    assert detect_kind(path) == "xlsx"
    check_xlsx(path)


def test_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rochdale_dr2_nov20.xlsx"  # the name lies; the bytes decide
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    _refused(path, "PDF")


def test_old_xls_is_refused_with_save_as_fix(tmp_path: Path) -> None:
    path = tmp_path / "rochdale_dr2_nov20.xls"
    path.write_bytes(OLE_MAGIC + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 4000)
    error = _refused(path, ".xls")
    assert "xlsx" in error.fix


def test_password_protected_office_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rochdale_dr2_nov20.xlsx"
    body = (
        "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le")
    )
    path.write_bytes(OLE_MAGIC + b"\x00" * 504 + body + b"\x00" * 4000)
    error = _refused(path, "password")
    assert "password" in error.fix.lower()


def test_truncated_zip_is_refused(returns: Returns, tmp_path: Path) -> None:
    whole = returns.dr2().read_bytes()
    path = tmp_path / "rochdale_dr2_nov20_cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    _refused(path, "truncated")


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rochdale_dr2_nov20.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes.txt", "hello")
    _refused(path, "not an Excel workbook")


def test_empty_and_binary_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "rochdale_dr2_nov20.csv"
    empty.write_bytes(b"")
    _refused(empty, "empty")
    binary = tmp_path / "rochdale_dr2_dec20.csv"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00")
    _refused(binary, "binary")


def test_zip_bomb_is_refused(returns: Returns, tmp_path: Path) -> None:
    bomb = b" " * (20 * 1024 * 1024)  # 20 MiB of spaces deflate about 1000-fold
    path = _rewrite(returns.dr2(), tmp_path / "rochdale_dr2_nov20_bomb.xlsx",
                    add={"xl/media/padding.xml": bomb})  # fmt: skip
    _refused(path, "zip bomb")


def test_bytes_actually_inflated_are_counted(returns: Returns) -> None:
    # The declared sizes may lie; the inflate pass counts real bytes against the total limit.
    path = returns.dr2()
    with pytest.raises(InputFileError, match="zip bomb"):
        check_xlsx(path, ZipLimits(max_total_uncompressed=10**9, max_ratio=1e9))  # passes
        check_xlsx(path, ZipLimits(max_total_uncompressed=1000))


def test_too_many_entries_is_refused(returns: Returns, tmp_path: Path) -> None:
    path = _rewrite(returns.dr2(), tmp_path / "rochdale_dr2_nov20_many.xlsx",
                    add={f"xl/media/p{i}.bin": b"x" for i in range(30)})  # fmt: skip
    with pytest.raises(InputFileError, match="zip entries"):
        check_xlsx(path, ZipLimits(max_entries=20))


def test_external_links_are_refused(returns: Returns, tmp_path: Path) -> None:
    link = b'<?xml version="1.0"?><externalLink xmlns="x"/>'
    path = _rewrite(returns.dr2(), tmp_path / "rochdale_dr2_nov20_link.xlsx",
                    add={"xl/externalLinks/externalLink1.xml": link})  # fmt: skip
    error = _refused(path, "external links")
    assert "Break Link" in error.fix


def test_macros_are_refused(returns: Returns, tmp_path: Path) -> None:
    path = _rewrite(returns.dr2(), tmp_path / "rochdale_dr2_nov20_macro.xlsx",
                    add={"xl/vbaProject.bin": b"\x00" * 100})  # fmt: skip
    _refused(path, "macros")


def test_dtd_in_a_part_is_refused(returns: Returns, tmp_path: Path) -> None:
    src = returns.dr2()
    with zipfile.ZipFile(src) as zf:
        workbook = zf.read("xl/workbook.xml")
    declaration, rest = workbook.split(b"?>", 1)
    evil = declaration + b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>' + rest
    path = _rewrite(src, tmp_path / "rochdale_dr2_nov20_dtd.xlsx",
                    replace={"xl/workbook.xml": evil})  # fmt: skip
    _refused(path, "DTD", "xl/workbook.xml")


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        (b"Child ID,Referral date\n000123,03/11/2020\n", "utf-8", ","),
        (b"\xef\xbb\xbfChild ID;Referral date\n000123;03/11/2020\n", "utf-8-sig", ";"),
        ("Child ID\tEthnicity\n1\tWhite – British café\n".encode("cp1252"), "cp1252", "\t"),
    ],
)
def test_csv_encoding_and_delimiter_are_sniffed(
    tmp_path: Path, data: bytes, encoding: str, delimiter: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert detect_kind(path) == "csv"
    dialect = sniff_csv(path)
    assert (dialect.encoding, dialect.delimiter) == (encoding, delimiter)


def test_utf16_text_is_refused_with_an_export_fix(tmp_path: Path) -> None:
    path = tmp_path / "rochdale_dr2_nov20.csv"
    path.write_bytes("Child ID\tReferral date\r\n1\t03/11/2020\r\n".encode("utf-16"))
    error = _refused(path, "UTF-16")
    assert "CSV UTF-8" in error.fix
