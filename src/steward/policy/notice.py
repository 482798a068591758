"""The privacy notice, rendered in plain language from the registry, and its kept versions.

A change to the registry changes the notice. Each published version is kept in the workspace at
``policy/notices/<date>-<hash>.md`` (and ``.html``) with an entry in ``changelog.json``, and the
difference from the previous version is returned, because the notice promises to notify changes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jinja2

from steward.policy.model import Registry
from steward.policy.retention import add_years

NOTICE_DIR = Path("policy") / "notices"
CHANGELOG = "changelog.json"
SHIPPED_NOTICE = Path(__file__).with_name("notices") / "no_wrong_door_2022-04-01.md"

_BASIS_PLAIN = {
    "legitimate_interests": "We rely on our legitimate interests as data controller (UK GDPR "
    "Article 6(1)(f)). We have weighed these interests against your rights in a recorded "
    "balancing test ({ref}).",
    "public_task": "The processing is necessary for a task carried out in the public interest, "
    'known as "public task" (UK GDPR Article 6(1)(e)).',
    "legal_obligation": "The processing is necessary to comply with a legal obligation (UK GDPR "
    "Article 6(1)(c)).",
    "consent": "We rely on your consent (UK GDPR Article 6(1)(a)), which you can withdraw at any "
    "time.",
    "contract": "The processing is necessary for a contract with you (UK GDPR Article 6(1)(b)).",
    "vital_interests": "The processing is necessary to protect someone's life (UK GDPR Article "
    "6(1)(d)).",
}


def _environment(name: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("steward.policy", "templates"),
        autoescape=name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def notice_context(
    registry: Registry, *, final_report_date: dt.date, last_modified: dt.date | None = None
) -> dict[str, Any]:
    """Everything the notice says, in plain language, derived from the registry."""
    names = {c.id: _lower_first(c.name) for c in registry.data_categories}
    purposes = []
    for purpose in registry.purposes:
        basis = registry.lawful_basis(purpose.id)
        text = "none declared"
        if basis is not None:
            ref = basis.balancing_test.reference if basis.balancing_test else "not recorded"
            text = _BASIS_PLAIN[basis.basis].format(ref=ref)
            if purpose.lawful_basis is None and purpose.refines:
                parent = registry.purpose(purpose.refines).name
                text = f"The same as for {_lower_first(parent)}. {text}"
        special = None
        covered = registry.covered(purpose.id)
        if any(registry.category(c).special for c in covered):
            cond = registry.special_condition(purpose.id)
            if cond is not None:
                special = (
                    f"{cond.plain} (UK GDPR Article {cond.article}; Data Protection Act 2018 "
                    f"Schedule 1, {cond.dpa_schedule_1}; safeguards: {cond.safeguards}.)"
                )
        purposes.append({"name": purpose.name, "plain": purpose.plain, "basis": text,
                         "special": special})  # fmt: skip
    recipients = [
        {
            "category": r.category,
            "receives": "may receive "
            + ", ".join(sorted(names[c] for c in registry.expand(r.receives))),
        }
        for r in registry.recipients
    ]
    retention = []
    for rule in registry.retention:
        text = rule.plain
        if rule.rule == "years_after_final_report":
            due = add_years(final_report_date, rule.years or 0)
            text += (
                f" We expect final reporting in {final_report_date.year}, so we will delete "
                f"this data in {due.year} (by {due.strftime('%-d %B %Y')})."
            )
        retention.append(text)
    for r in registry.recipients:
        if r.retention.rule == "days_after_completion":
            retention.append(
                f"Data shared with the {_lower_first(r.category)} is deleted by the provider "
                f"{r.retention.days} days after the work is successfully completed."
            )
    never = [_lower_first(c.name) for c in registry.data_categories if not c.archivable]
    if never:
        retention.append("These are never put into the archive: " + ", ".join(never) + ".")
    rights = [
        r.plain for r in registry.rights if r.bases is None or any(
            (b := registry.lawful_basis(p.id)) is not None and b.basis in r.bases
            for p in registry.purposes
        )
    ]  # fmt: skip
    law = registry.law
    safeguards = next(
        (p.special_category_condition.safeguards for p in registry.purposes
         if p.special_category_condition and "84B" in p.special_category_condition.safeguards),
        "Article 84B (formerly Article 89)",
    )  # fmt: skip
    months = law.rights_time_limit_months
    return {
        "title": registry.title,
        "controller": registry.controller,
        "la_count": _count_word(len(registry.local_authorities)),
        "la_list": _join(registry.local_authorities),
        "data_period": registry.data_period,
        "subjects": [
            {"heading": s.heading, "categories": registry.subjects_of(s.id)}
            for s in registry.data_subjects
        ],
        "sources": registry.sources,
        "purposes": purposes,
        "recipients": recipients,
        "retention": retention,
        "measures": [m.plain for m in registry.measures],
        "environments": [
            f"{e.name[0].upper()}{e.name[1:]}: "
            + _join([_lower_first(c.name) for c in registry.data_categories if e.id in c.held_in])
            + "."
            for e in registry.environments
        ],
        "automated": "Your personal data is not subject to any automated decision-making."
        if not registry.automated_decision_making
        else "Some decisions are made by automated means; you can ask for a person to review them.",
        "research_safeguards": safeguards.split(" (")[0],
        "rights": rights,
        "time_limit": "one month" if months == 1 else f"{months} months",
        "complaints": registry.complaints,
        "last_modified": last_modified.strftime("%-d %B %Y") if last_modified else None,
    }


def _lower_first(name: str) -> str:
    # "DfE extract" keeps its capitals; "Gender" becomes "gender" mid-sentence.
    first = name.split(" ")[0]
    return name if first[1:] != first[1:].lower() else name[:1].lower() + name[1:]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _count_word(n: int) -> str:
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if n < len(words) else str(n)


def render_notice(
    registry: Registry,
    *,
    final_report_date: dt.date,
    last_modified: dt.date | None = None,
    fmt: str = "md",
) -> str:
    """The notice as Markdown (``fmt='md'``) or self-contained, escaped HTML (``fmt='html'``)."""
    name = {"md": "notice.md.j2", "html": "notice.html.j2"}[fmt]
    context = notice_context(
        registry, final_report_date=final_report_date, last_modified=last_modified
    )
    return _environment(name).get_template(name).render(c=context)


@dataclass(frozen=True)
class NoticeVersion:
    """One kept version of the notice."""

    date: str
    hash: str
    markdown: str
    html: str
    note: str
    previous: str | None


@dataclass(frozen=True)
class Publication:
    """The result of publishing: the current version, whether it is new, and the diff."""

    version: NoticeVersion
    created: bool
    diff: str


def notice_versions(workspace: Path) -> list[NoticeVersion]:
    """The kept versions, oldest first (empty if none were published)."""
    path = workspace / NOTICE_DIR / CHANGELOG
    if not path.is_file():
        return []
    return [NoticeVersion(**entry) for entry in json.loads(path.read_text("utf-8"))]


def publish_notice(
    registry: Registry,
    workspace: Path,
    *,
    final_report_date: dt.date,
    today: dt.date | None = None,
    note: str = "",
) -> Publication:
    """Render the notice and keep it as a new version if its content changed.

    The content hash leaves out the 'last modified' line, so re-publishing an unchanged registry
    on another day adds no version.
    """
    today = today or dt.date.today()
    body = render_notice(registry, final_report_date=final_report_date)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    versions = notice_versions(workspace)
    folder = workspace / NOTICE_DIR
    if versions and versions[-1].hash == digest:
        return Publication(versions[-1], created=False, diff="")
    stem = f"{today.isoformat()}-{digest}"
    markdown = render_notice(registry, final_report_date=final_report_date, last_modified=today)
    html = render_notice(
        registry, final_report_date=final_report_date, last_modified=today, fmt="html"
    )
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / f"{stem}.md", markdown)
    _write_atomic(folder / f"{stem}.html", html)
    previous = versions[-1] if versions else None
    old = (folder / previous.markdown).read_text("utf-8") if previous else ""
    version = NoticeVersion(
        date=today.isoformat(),
        hash=digest,
        markdown=f"{stem}.md",
        html=f"{stem}.html",
        note=note or ("first version" if previous is None else _changed_sections(old, markdown)),
        previous=previous.hash if previous else None,
    )
    diff = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            markdown.splitlines(keepends=True),
            fromfile=previous.markdown if previous else "/dev/null",
            tofile=version.markdown,
        )
    )
    entries = [asdict(v) for v in [*versions, version]]
    _write_atomic(folder / CHANGELOG, json.dumps(entries, indent=2) + "\n")
    return Publication(version, created=True, diff=diff)


def _sections(markdown: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    heading = ""
    for line in markdown.splitlines():
        if line.startswith("### "):
            heading = line[4:].strip()
        elif not line.startswith("Last modified"):
            parts[heading] = parts.get(heading, "") + line + "\n"
    return parts


def _changed_sections(old: str, new: str) -> str:
    """A change-log note naming the sections whose text changed."""
    before, after = _sections(old), _sections(new)
    changed = [h for h in after if before.get(h) != after[h]] + [
        h for h in before if h not in after
    ]
    return "changed: " + "; ".join(changed) if changed else "wording unchanged"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    Path(tmp).replace(path)
