"""Returns uploaded through the web: safe file names, the ingest call, and a record per upload.

The uploaded bytes go to a private temporary folder under a sanitised name (never a path the
user chose) and from there through the ingest service as the signed-in user, which checks their
permission for the file's LA and keeps the content-addressed, encrypted copy in the landing
area. Each upload leaves a small JSON record and a copy of that
run's quality report under ``reports/uploads/<id>/`` (counts and codes only, no content).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

from steward.errors import InputFileError, PermissionDenied, UserError
from steward.governance.access import Role, User
from steward.governance.access.la_codes import same_la
from steward.ingest import SUPPORTED_SUFFIXES, ingest
from steward.workspace import Workspace

MAX_NAME_LENGTH = 120
RECORD_FILE = "upload.json"
REPORT_FILE = "quality.html"
_UPLOAD_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]+")


class UploadTooLarge(UserError):
    """The file is over the configured size limit."""


def sanitise_filename(name: str) -> str:
    """A safe plain file name from what the browser sent: no folders, no control characters.

    Keeps the supported suffix; refuses names that are empty after cleaning or of another type.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    base = _UNSAFE.sub("_", base)
    suffix = Path(base).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(
            what=f"the file type {suffix or '(none)'!r} is not accepted",
            fix=f"Upload the return as one of: {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    stem = base[: len(base) - len(suffix)].strip(" .") or "return"
    return stem[: MAX_NAME_LENGTH - len(suffix)] + suffix


@dataclass
class UploadRecord:
    """One upload as the web app shows it (no content, no identifiers)."""

    upload_id: str
    uploaded_at: str
    uploaded_by: str
    uploader_la: str | None
    file_name: str
    status: str  # loaded | already_ingested | failed | refused
    la_code: str | None = None
    return_type: str | None = None
    return_month: str | None = None
    rows: int = 0
    quarantined: int = 0
    problem: str | None = None
    fix: str | None = None
    has_report: bool = False

    def visible_to(self, la_code: str | None) -> bool:
        """Whether an LA data provider of ``la_code`` (None: any other role) may see it."""
        if la_code is None:
            return True
        return self.uploader_la == la_code and (
            self.la_code is None or same_la(la_code, self.la_code)
        )


def new_upload_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)


def _save(uploads: Path, record: UploadRecord, report: Path | None) -> UploadRecord:
    folder = uploads / record.upload_id
    folder.mkdir(parents=True, exist_ok=False)
    if report is not None and report.is_file():
        shutil.copyfile(report, folder / REPORT_FILE)
        record.has_report = True
    tmp = folder / (RECORD_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2), encoding="utf-8")
    tmp.replace(folder / RECORD_FILE)
    return record


def list_uploads(uploads: Path, *, la_code: str | None = None) -> list[UploadRecord]:
    """Uploads newest first; for an LA data provider (``la_code``) only their own LA's."""
    if not uploads.is_dir():
        return []
    records = []
    for path in sorted(uploads.glob(f"*/{RECORD_FILE}"), reverse=True):
        record = UploadRecord(**json.loads(path.read_text("utf-8")))
        if record.visible_to(la_code):
            records.append(record)
    return records


def get_upload(uploads: Path, upload_id: str, *, la_code: str | None = None) -> UploadRecord:
    """One upload, or "not found" (also when it belongs to another LA: no hint it exists)."""
    path = uploads / upload_id / RECORD_FILE
    if not _UPLOAD_ID.match(upload_id) or not path.is_file():
        raise UserError(what=f"there is no upload {upload_id!r}", fix="Pick one from the list.")
    record = UploadRecord(**json.loads(path.read_text("utf-8")))
    if not record.visible_to(la_code):
        raise UserError(what=f"there is no upload {upload_id!r}", fix="Pick one from the list.")
    return record


def report_path(uploads: Path, record: UploadRecord) -> Path:
    return uploads / record.upload_id / REPORT_FILE


async def save_stream(chunks: AsyncIterator[bytes], target: Path, max_bytes: int) -> int:
    """Write ``chunks`` to ``target``; ``UploadTooLarge`` (and nothing kept) past ``max_bytes``."""
    size = 0
    with target.open("wb") as fh:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                fh.close()
                target.unlink(missing_ok=True)
                raise UploadTooLarge(
                    what=f"the file is larger than the limit of {max_bytes / 2**20:g} MB",
                    fix="Split the return into smaller files, or ask the administrator to raise "
                    "the limit.",
                )
            fh.write(chunk)
    if size == 0:
        target.unlink(missing_ok=True)
        raise InputFileError(what="the uploaded file is empty", fix="Choose the return file.")
    return size


def _check_upload_route(path: Path) -> None:
    """LA data teams upload their own returns here; statutory returns come another way."""
    from steward.ingest_statutory import statutory_kind

    if statutory_kind(path) is not None:
        raise PermissionDenied(
            what="CIN census and SSDA903 files are loaded by the evaluation team, not uploaded "
            "here",
            fix="Send them through the secure transfer route agreed with the evaluation team.",
        )


def ingest_upload(
    workspace: Workspace,
    uploads: Path,
    staged: Path,
    *,
    file_name: str,
    actor: User,
) -> UploadRecord:
    """Ingest the staged file as ``actor`` and keep a record; refusals are recorded too.

    The ingest service checks ``actor``'s permission for the file's LA (an LA data provider's
    upload of another LA's return is refused there and nothing of it is kept).
    """
    actor_la = actor.la_code if actor.role == Role.LA_PROVIDER else None
    record = UploadRecord(
        upload_id=new_upload_id(),
        uploaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        uploaded_by=actor.username,
        uploader_la=actor_la,
        file_name=file_name,
        status="failed",
    )
    try:
        if actor_la is not None:
            _check_upload_route(staged)
        summary = ingest(workspace, [staged], actor=actor)
    except PermissionDenied as exc:
        record.status, record.problem, record.fix = "refused", exc.what, exc.fix
        return _save(uploads, record, None)
    except UserError as exc:
        record.problem, record.fix = str(exc.what), exc.fix
        return _save(uploads, record, None)
    outcome = summary.outcomes[0] if summary.outcomes else None
    if outcome is None:
        record.problem = "the file was not recognised as a return"
        record.fix = "Check the file type and its headings."
        return _save(uploads, record, None)
    record.status = outcome.status
    record.la_code = outcome.la_code
    record.return_type = outcome.return_type
    record.return_month = outcome.return_month.strftime("%Y-%m") if outcome.return_month else None
    record.rows, record.quarantined = outcome.rows, outcome.quarantined
    if outcome.error is not None:
        record.problem = outcome.error.what + (
            f" ({outcome.error.where})" if str(outcome.error.where) else ""
        )
        record.fix = outcome.error.fix
    report = summary.quality_report if outcome.status == "loaded" else None
    return _save(uploads, record, report)


def staging_folder() -> tempfile.TemporaryDirectory[str]:
    """A private temporary folder for one upload (removed after the ingest)."""
    return tempfile.TemporaryDirectory(prefix="steward-upload-")
