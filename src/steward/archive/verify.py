"""Check a package against its manifest: every file's SHA-256, no file missing or added, and
the package hash. What an archive (or a later reader) runs before trusting a package."""

from __future__ import annotations

import json
from pathlib import Path

from steward.archive.build import MANIFEST, package_digest
from steward.archive.writers import sha256_file
from steward.errors import InputFileError, Location


def verify_package(folder: Path) -> list[str]:
    """Problems found (empty when the package is intact)."""
    manifest_file = Path(folder) / MANIFEST
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        listed: dict[str, dict[str, object]] = manifest["files"]
        expected_package = str(manifest["package_sha256"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        raise InputFileError(
            what=f"{folder} has no readable {MANIFEST}",
            fix="Point at the folder of an archive package (the one holding manifest.json).",
            where=Location(file=str(manifest_file)),
        ) from None
    problems = []
    present = {p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file()} - {
        MANIFEST
    }
    for name in sorted(set(listed) - present):
        problems.append(f"{name} is listed in the manifest but missing")
    for name in sorted(present - set(listed)):
        problems.append(f"{name} is not listed in the manifest")
    for name in sorted(set(listed) & present):
        if sha256_file(Path(folder) / name) != listed[name]["sha256"]:
            problems.append(f"{name} has changed since the package was built (SHA-256 differs)")
    digest = package_digest({name: str(entry["sha256"]) for name, entry in listed.items()})
    if digest != expected_package:
        problems.append("the package SHA-256 does not match its file list")
    return problems
