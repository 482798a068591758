"""The access (and portability) response pack: every record about the person, as JSON and CSV,
with a manifest that says, in plain words, what each part is, where it came from, why it is
held, on which lawful basis, who receives it and how long it is kept (from the policy registry).

Layout of the pack folder::

    README.txt       what the pack is and how to read it
    manifest.json    one entry per part: label, source, categories, purposes, lawful bases,
                     recipients, retention, rows, third-party review flags, file checksums
    data.json        every part, rows as objects with plain-language column labels
    <part>.csv       one CSV per part, plain-language headers (portability: machine-readable)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import UserError
from steward.governance.access import Permission, User, requires
from steward.governance.rights.actions import located
from steward.governance.rights.locate import rows_about
from steward.governance.rights.service import RightsKeys, add_action, get_request
from steward.policy import default_registry
from steward.policy.model import Registry
from steward.returns.layout import TABLES
from steward.store import ResearchStore, categories_of

# Labels for columns the pseudonymiser derives (others come from the return layout).
_LABELS = {
    "child_pid": "Your research reference (a code that replaces your LA's id for you)",
    "referral_pid": "Referral research reference",
    "birth_year_month": "Month and year of birth",
    "la_code": "Local authority code",
    "return_month": "Month of the return this came from",
    "submission_id": "Reference of the file the LA sent",
    "source_sheet": "Sheet of that file",
    "source_row": "Row of that sheet",
    "flag": "Restriction on use",
    "set_at": "When the restriction was set",
    "request_id": "Request that set it",
}
_TABLE_LABELS = {
    "dr2_referrals": "Referrals to children's social care",
    "dr2_cp": "Child protection plans",
    "dr2_cla": "Periods of being looked after (care)",
    "dr3_periods_of_care": "Periods of care",
    "dr3_care_episodes": "Care episodes (legal status and placement)",
    "dr3_neet": "Education, employment or training activity",
    "dr3_cin_closures": "Children in need case closures",
    "subject_flags": "Restrictions on use of your data",
    "participation": "Research participation, consent and contact records",
    "qualitative_items": "Interviews, observations and survey responses (what we hold, not content)",
}
# Columns that may describe someone other than the requester (e.g. a shared family referral).
_THIRD_PARTY_COLUMNS = {"referral_pid": "a referral may concern other family members"}
EDUCATION_NOTE = (
    "Education records from the Department for Education are held only in the ONS Secure "
    "Research Service and never on our systems; ask the Department for Education for them."
)


@dataclass(frozen=True)
class AccessPack:
    folder: Path
    parts: dict[str, int]  # part → rows
    review_needed: list[str]


def _label(column: str) -> str:
    if column in _LABELS:
        return _LABELS[column]
    if column.startswith("age_months_at_"):
        return "Age in months at " + column.removeprefix("age_months_at_").replace("_", " ")
    for table in TABLES:
        for f in table.fields:
            if f.name == column and len(f.headings) > 1:
                return f.headings[1]
    return column.replace("_", " ").capitalize()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def describe_categories(registry: Registry, categories: set[str]) -> dict[str, Any]:
    """Registry facts for a set of categories: names, purposes, bases, recipients, retention."""
    purposes, bases, recipients, retention = [], set(), [], []
    for purpose in registry.purposes:
        if registry.covered(purpose.id) & categories:
            purposes.append(purpose.plain)
            basis = registry.lawful_basis(purpose.id)
            if basis is not None:
                bases.add(f"{basis.basis.replace('_', ' ')} (UK GDPR Article {basis.article})")
    for recipient in registry.recipients:
        if registry.expand(recipient.receives) & categories:
            recipients.append(f"{recipient.name} ({recipient.role})")
    for rule in registry.retention:
        if registry.expand(rule.applies_to) & categories:
            retention.append(rule.plain)
    names = []
    for cat in sorted(categories):
        if cat in registry.category_ids:
            names.append(registry.category(cat).name)
    return {
        "what": names,
        "purposes": purposes,
        "lawful_bases": sorted(bases),
        "recipients": recipients,
        "retention": retention,
    }


def _participation(session: Session, keys: RightsKeys, pid: str) -> dict[str, list[dict[str, Any]]]:
    from steward.governance.consent.models import Participant, QualitativeItem
    from steward.governance.consent.service import CONTACT

    participation: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for person in session.scalars(select(Participant).where(Participant.child_pid == pid)):
        contact: dict[str, Any] = {}
        if person.contact_sealed is not None:
            contact = keys.sealer.open(
                CONTACT, person.reference, person.contact_sealed, person.contact_key
            )
        for consent in person.consents:
            participation.append(
                {
                    "participant": person.reference,
                    "activity": consent.activity,
                    "consent_text_version": consent.text.version,
                    "given_on": consent.given_on,
                    "withdrawn_on": consent.withdrawn_on,
                    **{f"contact_{k}": v for k, v in contact.items()},
                }
            )
        for item in session.scalars(
            select(QualitativeItem).where(QualitativeItem.participant_id == person.id)
        ):
            items.append(
                {
                    "participant": person.reference,
                    "activity": item.activity,
                    "kind": item.kind,
                    "collected_on": item.collected_on,
                    "deleted_on": item.deleted_on,
                }
            )
    out = {}
    if participation:
        out["participation"] = participation
    if items:
        out["qualitative_items"] = items
    return out


@requires(Permission.RIGHTS_MANAGE)
def build_access_pack(
    session: Session,
    actor: User,
    keys: RightsKeys,
    store: ResearchStore,
    reference: str,
    out: Path,
    *,
    registry: Registry | None = None,
) -> AccessPack:
    """Write the response pack of request ``reference`` into the new folder ``out``.

    Released only once identity (and authority, and a 16+ child's consent) are established.
    Parts that may hold other people's data are flagged for review before sending.
    """
    request = get_request(session, reference)
    right = "access" if "access" in request.rights else "portability"
    pid = located(request, right)
    registry = registry or default_registry()
    if out.exists() and any(out.iterdir()):
        raise UserError(
            what=f"{out} already exists and is not empty",
            fix="Choose a new folder for the pack.",
        )
    out.mkdir(parents=True, exist_ok=True)
    parts: dict[str, list[dict[str, Any]]] = {}
    categories: dict[str, set[str]] = {}
    for table, rows in rows_about(store, pid).items():
        parts[table] = rows.to_pylist()
        categories[table] = set(categories_of(table))
    for part, rows_list in _participation(session, keys, pid).items():
        parts[part] = rows_list
        categories[part] = (
            {"consent_record", "contact_details"}
            if part == "participation"
            else {"interview_data", "observation_notes", "survey_response"}
        )
    review: list[str] = []
    manifest_parts = []
    data: dict[str, Any] = {}
    for part, rows_list in parts.items():
        columns = list(rows_list[0]) if rows_list else []
        labels = {c: _label(c) for c in columns}
        flagged = {c: why for c, why in _THIRD_PARTY_COLUMNS.items() if c in columns}
        if part == "qualitative_items":
            flagged["content"] = "interview and observation content may mention other people"
        if flagged:
            review.append(part)
        csv_path = out / f"{part}.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([labels[c] for c in columns])
            for row in rows_list:
                writer.writerow([_plain(row[c]) for c in columns])
        data[part] = [{labels[c]: _plain(row[c]) for c in columns} for row in rows_list]
        manifest_parts.append(
            {
                "part": part,
                "label": _TABLE_LABELS.get(part, part),
                "source": "your local authority's returns to the evaluation"
                if part not in ("participation", "qualitative_items")
                else "you, when you took part in the research",
                "rows": len(rows_list),
                "file": csv_path.name,
                "sha256": hashlib.sha256(csv_path.read_bytes()).hexdigest(),
                "third_party_review": flagged,
                **describe_categories(registry, categories[part]),
            }
        )
    manifest = {
        "request": request.reference,
        "prepared_on": dt.date.today().isoformat(),
        "controller": registry.controller.name,
        "parts": manifest_parts,
        "not_held_here": EDUCATION_NOTE,
        "review_before_sending": review,
        "your_rights": {r.id: r.plain for r in registry.rights},
        "complaints": {
            "how": registry.complaints.how,
            "ico": f"{registry.complaints.ico_address}, {registry.complaints.ico_phone}, "
            f"{registry.complaints.ico_url}",
        },
    }
    (out / "data.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    (out / "README.txt").write_text(_readme(request.reference, manifest_parts, review), "utf-8")
    rows_by_part = {p: len(r) for p, r in parts.items()}
    add_action(
        session,
        actor,
        request,
        "access_pack_built",
        {"parts": rows_by_part, "review_needed": review},
    )
    return AccessPack(out, rows_by_part, review)


def _readme(reference: str, parts: list[dict[str, Any]], review: list[str]) -> str:
    lines = [
        f"Your data - request {reference}",
        "",
        "This folder holds a copy of every record about you that the No Wrong Door evaluation "
        "holds. Each file ending .csv opens in a spreadsheet; data.json has the same records "
        "for moving to another service. manifest.json explains why we hold each part, on which "
        "lawful basis, who receives it and how long we keep it.",
        "",
    ]
    lines += [f"- {p['file']}: {p['label']} ({p['rows']} records)" for p in parts]
    if not parts:
        lines.append("We hold no records about you.")
    lines += ["", EDUCATION_NOTE]
    if review:
        lines += ["", "STAFF NOTE (remove before sending): check for other people's data in: "]
        lines += [f"- {p}" for p in review]
    return "\n".join(lines) + "\n"
