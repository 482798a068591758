"""The archive package: an anonymised, self-describing copy of the research data.

Public API::

    build_archive(workspace, out, *, profile=None, seed=0, today=None) -> ArchiveBuild
    load_profile(path=None) / parse_profile(data, source=...) -> ArchiveProfile
    archived_in(con, child_pid) / erasure_answer(con, child_pid)   # lineage
    verify_package(folder) -> list[str]                              # problems; [] if intact
"""

from steward.archive.build import ArchiveBuild, build_archive, package_digest
from steward.archive.lineage import LINEAGE_TABLE, ArchiveRecord, archived_in, erasure_answer
from steward.archive.profile import DEFAULT_PROFILE, ArchiveProfile, load_profile, parse_profile
from steward.archive.verify import verify_package

__all__ = [
    "DEFAULT_PROFILE",
    "LINEAGE_TABLE",
    "ArchiveBuild",
    "ArchiveProfile",
    "ArchiveRecord",
    "archived_in",
    "build_archive",
    "erasure_answer",
    "load_profile",
    "package_digest",
    "parse_profile",
    "verify_package",
]
