"""The output-request pack a checker approves: ``results.json`` plus a readable summary.

``results.json`` follows the shape of ACRO's results file, so checkers used to SACRO find what
they expect: a ``version`` and one entry per output id under ``results`` with ``uid``,
``status``, ``type``, ``properties``, ``files`` (each with its ``sdc`` summary and the cells
each rule fired on), the per-cell ``outcome`` table, ``command``, ``summary``, the researcher's
``exception`` (their case for a review item) and ``comments``, and a ``timestamp``. Steward adds
``review``: the checker's decision (approve / reject), their name, comment and time.

Only safe tables are written: suppressed cells show ``[c]`` and unrounded values never leave.
Every file is written atomically (temporary file in the same folder, then rename).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from steward.disclosure.output import CheckedOutput, fired, to_display
from steward.disclosure.release import Release
from steward.disclosure.rules import CELL_RULES
from steward.errors import DisclosureError, InputFileError, Location

PACK_VERSION = "steward-sdc/1"
RESULTS_FILE = "results.json"
SUMMARY_FILE = "summary.md"
SUMMARY_HTML = "summary.html"
Decision = Literal["approve", "reject"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _record(uid: str, checked: CheckedOutput) -> dict[str, Any]:
    display = to_display(checked)
    outcome = checked.cell_rules
    cells = {
        rule: [
            [r, c]
            for r in range(outcome.shape[0])
            for c in range(outcome.shape[1])
            if rule in fired(str(outcome.iat[r, c]))
        ]
        for rule in CELL_RULES
    }
    return {
        "uid": uid,
        "name": checked.name,
        "status": checked.status,
        "type": "regression" if checked.kind == "model" else "table",
        "kind": checked.kind,
        "properties": checked.properties,
        "files": [
            {
                "name": f"{uid}.csv",
                "sdc": {
                    "summary": {
                        "suppressed": bool(checked.suppressed().to_numpy().any()),
                        **{rule: len(v) for rule, v in cells.items()},
                    },
                    "cells": cells,
                },
            }
        ],
        "outcome": {
            str(col): {str(row): str(outcome.at[row, col]) for row in outcome.index}
            for col in outcome.columns
        },
        "table": {
            "index_name": _name(display.index),
            "columns_name": _name(display.columns),
            "index": [str(v) for v in display.index],
            "columns": [str(v) for v in display.columns],
            "data": display.to_numpy().tolist(),
        },
        "command": checked.command,
        "summary": checked.summary,
        "exception": checked.exception,
        "comments": list(checked.comments),
        "timestamp": _now(),
        "review": None,
    }


def _name(labels: Any) -> str | None:
    name = getattr(labels, "name", None)
    return None if name is None else str(name)


class OutputRequestPack:
    """The records of a release's outputs, the researcher's exceptions and the checker's decisions."""

    def __init__(
        self, release_name: str, records: dict[str, dict[str, Any]], rules: dict[str, Any]
    ):
        self.release_name = release_name
        self.records = records
        self.rules = rules
        self.folder: Path | None = None
        self._frames: dict[str, CheckedOutput] = {}

    @classmethod
    def from_release(cls, release: Release) -> OutputRequestPack:
        """Gather the checked outputs of a release."""
        records = {uid: _record(uid, checked) for uid, checked in release}
        rules = next(iter(release.outputs.values())).rules.model_dump() if release.outputs else {}
        pack = cls(release.name, records, rules)
        pack._frames = dict(release.outputs)
        return pack

    @classmethod
    def load(cls, folder: Path) -> OutputRequestPack:
        """Open a pack written earlier (for the checker's decisions)."""
        path = Path(folder) / RESULTS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != PACK_VERSION or not isinstance(data.get("results"), dict):
                raise ValueError("not a Steward output-request pack")
        except (OSError, ValueError) as exc:
            raise InputFileError(
                what=f"Cannot read the output-request pack: {exc}",
                fix="Point at the folder written by the release's pack (it holds results.json).",
                where=Location(file=str(path)),
            ) from None
        pack = cls(data.get("release", "release"), data["results"], data.get("rules", {}))
        pack.folder = Path(folder)
        return pack

    def _get(self, output_id: str) -> dict[str, Any]:
        if output_id not in self.records:
            raise DisclosureError(
                what=f"The pack has no output {output_id!r}",
                fix=f"Use one of: {', '.join(self.records) or '(none)'}.",
            )
        return self.records[output_id]

    def add_exception(self, output_id: str, reason: str) -> None:
        """The researcher's case for releasing an output that needs review."""
        self._get(output_id)["exception"] = reason

    def add_comment(self, output_id: str, comment: str) -> None:
        """A note for the checker on one output."""
        self._get(output_id)["comments"].append(comment)

    def approve(self, output_id: str, checker: str, comment: str = "") -> None:
        """Record that ``checker`` approves the output for release."""
        record = self._get(output_id)
        if record["status"] == "fail":
            raise DisclosureError(
                what=f"Output {output_id!r} failed disclosure control and cannot be approved",
                fix="Ask the researcher to change the output (merge categories, simplify the "
                "model) and re-run the checks; or reject it.",
                where=Location(sheet=output_id),
            )
        self._decide(record, "approve", checker, comment)

    def reject(self, output_id: str, checker: str, comment: str) -> None:
        """Record that ``checker`` rejects the output, with the reason."""
        self._decide(self._get(output_id), "reject", checker, comment)

    def _decide(
        self, record: dict[str, Any], decision: Decision, checker: str, comment: str
    ) -> None:
        if not checker.strip():
            raise DisclosureError(
                what="A decision needs the checker's name",
                fix="Give the name of the output checker recording the decision.",
            )
        record["review"] = {
            "decision": decision,
            "checker": checker,
            "comment": comment,
            "timestamp": _now(),
        }

    def decisions(self) -> dict[str, str | None]:
        """Output id -> ``approve`` / ``reject`` / None (not yet decided)."""
        return {uid: (r["review"] or {}).get("decision") for uid, r in self.records.items()}

    def to_json(self) -> dict[str, Any]:
        """The ACRO-style results document."""
        return {
            "version": PACK_VERSION,
            "release": self.release_name,
            "rules": self.rules,
            "timestamp": _now(),
            "results": self.records,
        }

    def write(self, folder: Path | None = None) -> Path:
        """Write results.json, summary.md, summary.html and one CSV per table; returns the folder."""
        target = Path(folder) if folder is not None else self.folder
        if target is None:
            raise DisclosureError(
                what="No folder given for the output-request pack",
                fix="Pass the folder to write the pack to.",
            )
        target.mkdir(parents=True, exist_ok=True)
        for uid, checked in self._frames.items():
            _atomic_write(target / f"{uid}.csv", to_display(checked).to_csv())
        _atomic_write(target / RESULTS_FILE, json.dumps(self.to_json(), indent=2, default=str))
        _atomic_write(target / SUMMARY_FILE, self.summary_markdown())
        _atomic_write(target / SUMMARY_HTML, self.summary_html())
        self.folder = target
        return target

    def summary_markdown(self) -> str:
        """Human-readable summary for the checker."""
        lines = [
            f"# Output request: {self.release_name}",
            "",
            "Suppressed cells are shown as `[c]` (GSS symbol: confidential).",
            "",
            "| Output | Name | Status | Checks | Decision |",
            "| --- | --- | --- | --- | --- |",
        ]
        for uid, r in self.records.items():
            decision = _decision_text(r)
            lines.append(
                f"| {uid} | {_md(r['name'])} | {r['status']} | {_md(r['summary'])} | {decision} |"
            )
        for uid, r in self.records.items():
            lines += ["", f"## {uid}: {_md(r['name'])}", "", f"Status: **{r['status']}**", ""]
            if r["exception"]:
                lines += [f"Researcher's case: {_md(r['exception'])}", ""]
            for comment in r["comments"]:
                lines.append(f"- {_md(comment)}")
            table = r["table"]
            if table["columns"]:
                lines += [
                    "",
                    "| " + " | ".join([table["index_name"] or "", *table["columns"]]) + " |",
                ]
                lines.append("| " + " | ".join(["---"] * (len(table["columns"]) + 1)) + " |")
                for label, row in zip(table["index"], table["data"], strict=True):
                    lines.append("| " + " | ".join([label, *map(str, row)]) + " |")
            lines += ["", f"Decision: {_decision_text(r)}"]
        return "\n".join(lines) + "\n"

    def summary_html(self) -> str:
        """The same summary as a standalone HTML page."""
        parts = [
            "<!doctype html><meta charset='utf-8'>",
            f"<title>Output request: {html.escape(self.release_name)}</title>",
            f"<h1>Output request: {html.escape(self.release_name)}</h1>",
            "<p>Suppressed cells are shown as [c] (GSS symbol: confidential).</p>",
        ]
        for uid, r in self.records.items():
            parts.append(f"<h2>{html.escape(uid)}: {html.escape(r['name'])}</h2>")
            parts.append(f"<p>Status: <strong>{html.escape(r['status'])}</strong>. ")
            parts.append(f"{html.escape(r['summary'])}</p>")
            table = r["table"]
            head = "".join(f"<th>{html.escape(c)}</th>" for c in ["", *table["columns"]])
            body = "".join(
                "<tr><th>"
                + html.escape(label)
                + "</th>"
                + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
                + "</tr>"
                for label, row in zip(table["index"], table["data"], strict=True)
            )
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
            parts.append(f"<p>Decision: {html.escape(_decision_text(r))}</p>")
        return "\n".join(parts) + "\n"


def _decision_text(record: dict[str, Any]) -> str:
    review = record.get("review")
    if not review:
        return "pending"
    text = f"{review['decision']} by {review['checker']}"
    return f"{text}: {review['comment']}" if review.get("comment") else text


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
