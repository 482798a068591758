"""Opening a submitted file safely: decide its type from its bytes, refuse anything dangerous.

A return arrives from outside, so nothing about it is trusted: not its name, not its suffix,
not the sizes its zip directory declares. The file type comes from the leading bytes; an xlsx
is inspected as a zip (entry count, sizes actually inflated, ratio, external links, macros,
DTDs in its XML parts) before the spreadsheet parser ever sees it; a CSV has its encoding and
delimiter sniffed from its content.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from steward.errors import InputFileError, Location

FileKind = Literal["xlsx", "csv"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# An encrypted Office file is an OLE container holding an "EncryptionInfo" stream.
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_XML_PROLOG_LIMIT = 64 * 1024
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")


@dataclass(frozen=True)
class ZipLimits:
    """What an xlsx may not exceed before it is treated as a zip bomb."""

    max_entries: int = 10_000
    max_total_uncompressed: int = 2 * 1024**3  # 2 GiB of XML is far past any real return
    max_ratio: float = 200.0  # real sheet XML compresses 5-30x; bombs do 1000x
    ratio_applies_above: int = 1024**2  # tiny parts can have any ratio


@dataclass(frozen=True)
class CsvDialect:
    encoding: Literal["utf-8", "utf-8-sig", "cp1252"]
    delimiter: str


def _refuse(path: Path, what: str, fix: str) -> InputFileError:
    return InputFileError(what=what, fix=fix, where=Location(file=path.name))


def detect_kind(path: Path) -> FileKind:
    """Decide from the leading bytes whether ``path`` is an xlsx or a CSV; refuse anything else."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise _refuse(
            path, f"{path.name} cannot be opened ({exc.strerror})", "Check the file exists."
        ) from exc
    if not head:
        raise _refuse(
            path, f"{path.name} is empty", "Send the return again; the file has no content."
        )
    if head.startswith(OLE_MAGIC):
        with path.open("rb") as fh:
            encrypted = _ENCRYPTION_INFO in fh.read(1024 * 1024)
        if encrypted:
            raise _refuse(
                path,
                f"{path.name} is a password-protected (encrypted) Office file",
                "Remove the password in Excel (File > Info > Protect Workbook > Encrypt with "
                "Password, clear it), save as .xlsx and send it again.",
            )
        raise _refuse(
            path,
            f"{path.name} is an old-style Excel 97-2003 (.xls) or other OLE file",
            "Open it in Excel and save it as 'Excel Workbook (*.xlsx)', then send that file.",
        )
    if head.startswith(b"%PDF"):
        raise _refuse(
            path,
            f"{path.name} is a PDF, not a data return",
            "Send the return as the .xlsx workbook (or a CSV export), not a PDF.",
        )
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK"):
        return "xlsx"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            path,
            f"{path.name} is UTF-16 text (Excel's 'Unicode Text')",
            "Export the sheet from Excel as 'CSV UTF-8 (Comma delimited)' or send the .xlsx.",
        )
    if b"\x00" in head:
        raise _refuse(
            path,
            f"{path.name} is a binary file Steward cannot read",
            "Send the return as an .xlsx workbook or a CSV file.",
        )
    return "csv"


def check_xlsx(path: Path, limits: ZipLimits = ZipLimits()) -> None:
    """Refuse an xlsx that is truncated, a zip bomb, or carries links, macros or DTDs."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(
            path,
            f"{path.name} is not a complete xlsx workbook (the zip is truncated or corrupt)",
            "Send the file again; if it still fails, open it in Excel and save it as .xlsx.",
        ) from exc
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if len(infos) > limits.max_entries:
            raise _refuse(
                path,
                f"{path.name} holds {len(infos)} zip entries (limit {limits.max_entries})",
                "This is not a normal workbook; save the data afresh as .xlsx and send that.",
            )
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _refuse(
                path,
                f"{path.name} is a zip file but not an Excel workbook",
                "Send the return as an .xlsx workbook saved by Excel, or as a CSV file.",
            )
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise _refuse(
                path,
                f"{path.name} contains macros",
                "Save the workbook as a macro-free 'Excel Workbook (*.xlsx)' and send that.",
            )
        if any(n.startswith("xl/externalLinks/") for n in names):
            raise _refuse(
                path,
                f"{path.name} links to other workbooks (external links)",
                "In Excel use Data > Edit Links > Break Link, save, and send the file again.",
            )
        if any(i.flag_bits & 0x1 for i in infos):
            raise _refuse(
                path,
                f"{path.name} has encrypted parts",
                "Remove the password protection, save as .xlsx and send it again.",
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_total_uncompressed:
            raise _bomb(path, limits)
        for info in infos:
            if info.file_size > limits.ratio_applies_above and (
                info.file_size / max(info.compress_size, 1) > limits.max_ratio
            ):
                raise _bomb(path, limits)
        _inflate_and_scan(zf, path, limits)


def _bomb(path: Path, limits: ZipLimits) -> InputFileError:
    return _refuse(
        path,
        f"{path.name} expands far beyond a normal workbook (possible zip bomb; limits "
        f"{limits.max_total_uncompressed // 1024**2} MiB in total, ratio {limits.max_ratio:g})",
        "Save the data afresh as .xlsx from Excel and send it again; contact the evaluation "
        "team if the return really is this large.",
    )


def _inflate_and_scan(zf: zipfile.ZipFile, path: Path, limits: ZipLimits) -> None:
    """Inflate every part, counting real bytes (declared sizes can lie), and look for DTDs.

    A DTD can only stand in an XML document's prolog, before the root element, so only the
    first bytes of each part are searched; a prolog longer than the limit is itself refused.
    """
    total = 0
    chunk = 1024 * 1024
    for info in zf.infolist():
        is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
        head = b""
        inflated = 0
        try:
            with zf.open(info) as part:
                while block := part.read(chunk):
                    if is_xml and len(head) < _XML_PROLOG_LIMIT:
                        head += block[: _XML_PROLOG_LIMIT - len(head)]
                    inflated += len(block)
                    total += len(block)
                    if total > limits.max_total_uncompressed or (
                        inflated > limits.ratio_applies_above
                        and inflated / max(info.compress_size, 1) > limits.max_ratio
                    ):
                        raise _bomb(path, limits)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise _refuse(
                path,
                f"{path.name} is damaged: part {info.filename} cannot be read",
                "Send the file again; if it still fails, open it in Excel and save it as .xlsx.",
            ) from exc
        if is_xml and head:
            root = _ROOT_START.search(head)
            prolog = head[: root.start()] if root else head
            if _DTD.search(prolog) or (root is None and len(head) >= _XML_PROLOG_LIMIT):
                raise _refuse(
                    path,
                    f"{path.name} contains a DTD or entity declaration in {info.filename}",
                    "Workbooks saved by Excel never contain these; save the data afresh as "
                    ".xlsx from Excel and send that.",
                )


def sniff_csv(path: Path) -> CsvDialect:
    """Decide a CSV's encoding (UTF-8, UTF-8 with BOM, or cp1252) and its delimiter."""
    raw = path.read_bytes()
    encoding: Literal["utf-8", "utf-8-sig", "cp1252"]
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        try:
            raw.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    try:
        sample = raw[:65536].decode(encoding, errors="ignore")
    except LookupError:  # pragma: no cover - the three encodings always exist
        sample = raw[:65536].decode("latin-1")
    # Sniff on whole lines only, so a line cut at the sample's end cannot mislead.
    lines = sample.splitlines()[:50]
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) if lines else 0 for d in ",;\t|"}
        delimiter = max(counts, key=lambda d: counts[d])
        if counts[delimiter] == 0:
            delimiter = ","
    return CsvDialect(encoding=encoding, delimiter=delimiter)
