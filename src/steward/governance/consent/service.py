"""Consent and qualitative research data.

- participants (children, parents, professionals) with consent per activity under a versioned
  consent text; contact details sealed per participant and deleted when no longer needed;
- recordings, transcripts, observation notes and survey responses stored encrypted (one data
  key per object, crypto-shreddable); nothing is stored without consent to its activity;
- withdrawing consent stops future use and deletes that activity's qualitative data at once;
- hand-offs to the transcription service: what was sent and when completed; the service's copy
  falls due for deletion 7 days after completion (from the registry), with a reminder and a
  confirmation;
- interview data is never eligible for the archive: :func:`check_archivable` refuses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.errors import PolicyViolation, UserError, ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.audit import AuditAction
from steward.governance.audit.log import record_in
from steward.governance.consent.models import (
    Consent,
    ConsentText,
    Participant,
    QualitativeItem,
    TranscriptionHandoff,
)
from steward.governance.rights.sealed import Sealer
from steward.landing.objects import EncryptedObjectStore
from steward.policy import default_registry, may_archive, retention_due
from steward.policy.model import Registry
from steward.pseudonymise.pseudonym import pseudonym_reference

CONTACT = "contact"
ACTIVITIES = ("interview", "observation", "focus_group", "survey", "contact")
KINDS = ("child", "parent_guardian", "professional")
# Item kind → the registry's data category.
ITEM_CATEGORIES = {
    "recording": "interview_data",
    "transcript": "interview_data",
    "notes": "observation_notes",
    "survey_response": "survey_response",
}
TRANSCRIPTION_SERVICE = "transcription_service"


@dataclass(frozen=True)
class QualitativeVault:
    """Where qualitative data lives: an encrypted object store in the workspace, and its key."""

    folder: Path
    master_key: bytes

    @classmethod
    def for_workspace(cls, workspace: Any) -> QualitativeVault:
        return cls(workspace.root / "qualitative", workspace.keys.load("master"))

    @property
    def objects(self) -> EncryptedObjectStore:
        return EncryptedObjectStore(self.folder, self.master_key)

    @property
    def sealer(self) -> Sealer:
        return Sealer(self.master_key)


def _audit(
    session: Session, actor: User, object_type: str, object_id: str, details: dict[str, Any],
    pseudonyms: list[str] | None = None,
) -> None:  # fmt: skip
    record_in(
        session, actor.username, AuditAction.CONSENT_CHANGE, object_type, object_id,
        pseudonyms or [], details,
    )  # fmt: skip


def _participant(session: Session, reference: str) -> Participant:
    person = session.scalar(select(Participant).where(Participant.reference == reference))
    if person is None:
        raise UserError(
            what=f"there is no participant {reference!r}",
            fix="Check the reference with 'steward consent list'.",
        )
    return person


def _check_activity(activity: str) -> None:
    if activity not in ACTIVITIES:
        raise ValidationError(
            what=f"unknown activity {activity!r}", fix=f"Use one of: {', '.join(ACTIVITIES)}."
        )


@requires(Permission.CONSENT_MANAGE)
def add_consent_text(session: Session, actor: User, *, activity: str, text: str) -> ConsentText:
    """A new version of the consent wording for ``activity`` (versions count up from 1)."""
    _check_activity(activity)
    if not text.strip():
        raise ValidationError(what="the consent text is empty", fix="Give the full wording.")
    latest = session.scalar(
        select(func.max(ConsentText.version)).where(ConsentText.activity == activity)
    )
    row = ConsentText(
        activity=activity,
        version=(latest or 0) + 1,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "consent_text", f"{activity}-v{row.version}", {"sha256": row.sha256})
    return row


@requires(Permission.CONSENT_MANAGE)
def register_participant(
    session: Session,
    actor: User,
    vault: QualitativeVault,
    *,
    kind: str,
    contact: dict[str, str],
    la_code: str | None = None,
    la_child_id: str | None = None,
    pseudonym_key: bytes | None = None,
) -> Participant:
    """A new participant; contact details sealed. A child (or a parent about a child) may be
    linked to the child's pseudonym through the LA's own id (hashed now, never stored)."""
    if kind not in KINDS:
        raise ValidationError(what=f"unknown participant kind {kind!r}", fix=f"Use: {KINDS}.")
    pid = None
    if la_child_id:
        if la_code is None or pseudonym_key is None:
            raise ValidationError(
                what="an LA child id needs its LA code and the workspace pseudonym key",
                fix="Pass la_code (and run inside a workspace).",
            )
        pid = pseudonym_reference(pseudonym_key, la_code, la_child_id.strip())
    count = session.scalar(select(func.count()).select_from(Participant)) or 0
    reference = f"P-{count + 1:05d}"
    sealed = vault.sealer.seal(CONTACT, reference, dict(contact)) if contact else None
    person = Participant(
        reference=reference,
        kind=kind,
        la_code=la_code,
        child_pid=pid,
        contact_sealed=sealed.ciphertext if sealed else None,
        contact_key=sealed.wrapped_key if sealed else None,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(person)
    session.flush()
    _audit(session, actor, "participant", reference, {"kind": kind}, [pid] if pid else None)
    return person


@requires(Permission.CONSENT_MANAGE)
def give_consent(
    session: Session, actor: User, reference: str, *, activity: str, on: dt.date
) -> Consent:
    """Record consent to ``activity`` under the latest version of its text."""
    _check_activity(activity)
    person = _participant(session, reference)
    text = session.scalar(
        select(ConsentText)
        .where(ConsentText.activity == activity)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )
    if text is None:
        raise UserError(
            what=f"there is no consent text for {activity}",
            fix="Add the wording first ('steward consent add-text').",
        )
    if active_consent(person, activity) is not None:
        raise UserError(
            what=f"{reference} already consented to {activity}", fix="Nothing to record."
        )
    consent = Consent(participant=person, activity=activity, text=text, given_on=on)
    session.add(consent)
    session.flush()
    _audit(session, actor, "participant", reference,
           {"step": "consent_given", "activity": activity, "version": text.version})  # fmt: skip
    return consent


def active_consent(person: Participant, activity: str) -> Consent | None:
    return next(
        (c for c in person.consents if c.activity == activity and c.withdrawn_on is None), None
    )


@requires(Permission.CONSENT_MANAGE)
def store_item(
    session: Session,
    actor: User,
    vault: QualitativeVault,
    reference: str,
    *,
    activity: str,
    kind: str,
    content: bytes,
    collected_on: dt.date,
) -> QualitativeItem:
    """Store a recording, transcript, note or survey response encrypted; only with consent."""
    person = _participant(session, reference)
    if kind not in ITEM_CATEGORIES:
        raise ValidationError(
            what=f"unknown item kind {kind!r}", fix=f"Use one of: {', '.join(ITEM_CATEGORIES)}."
        )
    if active_consent(person, activity) is None:
        raise PolicyViolation(
            what=f"{reference} has no current consent to {activity}",
            fix="Do not store it; record consent first (or delete it if consent was withdrawn).",
        )
    landed = vault.objects.put_bytes(content)
    item = QualitativeItem(
        participant_id=person.id,
        activity=activity,
        kind=kind,
        category=ITEM_CATEGORIES[kind],
        sha256=landed.sha256,
        collected_on=collected_on,
    )
    session.add(item)
    session.flush()
    _audit(session, actor, "qualitative_item", str(item.id), {"kind": kind, "activity": activity})
    return item


def _delete_item(vault: QualitativeVault, item: QualitativeItem, on: dt.date, why: str) -> None:
    if item.sha256 is not None and item.deleted_on is None:
        vault.objects.shred(item.sha256)
    item.deleted_on = on
    item.deletion_reason = why


@requires(Permission.CONSENT_MANAGE)
def withdraw_consent(
    session: Session,
    actor: User,
    vault: QualitativeVault,
    reference: str,
    *,
    activity: str,
    on: dt.date,
) -> list[int]:
    """Withdraw consent to ``activity``: no further use, and that activity's qualitative data is
    deleted now (crypto-shredded). Returns the ids of the deleted items."""
    person = _participant(session, reference)
    consent = active_consent(person, activity)
    if consent is None:
        raise UserError(
            what=f"{reference} has no current consent to {activity}", fix="Nothing to withdraw."
        )
    consent.withdrawn_on = on
    deleted = []
    for item in session.scalars(
        select(QualitativeItem).where(
            QualitativeItem.participant_id == person.id,
            QualitativeItem.activity == activity,
            QualitativeItem.deleted_on.is_(None),
        )
    ):
        _delete_item(vault, item, on, "consent_withdrawn")
        deleted.append(item.id)
    if activity == "contact" or not any(c.withdrawn_on is None for c in person.consents):
        _delete_contact(person, on)
    session.flush()
    _audit(session, actor, "participant", reference,
           {"step": "consent_withdrawn", "activity": activity, "items_deleted": len(deleted)})  # fmt: skip
    return deleted


def _delete_contact(person: Participant, on: dt.date) -> None:
    person.contact_sealed = None
    person.contact_key = None
    person.contact_deleted_on = person.contact_deleted_on or on


@requires(Permission.CONSENT_MANAGE)
def delete_contact_details(
    session: Session, actor: User, reference: str, *, on: dt.date
) -> Participant:
    """Delete a participant's contact details (no longer needed); the sealed copy is destroyed."""
    person = _participant(session, reference)
    _delete_contact(person, on)
    session.flush()
    _audit(session, actor, "participant", reference, {"step": "contact_deleted"})
    return person


@requires(Permission.CONSENT_MANAGE)
def contact_details(
    session: Session, actor: User, vault: QualitativeVault, reference: str
) -> dict[str, Any]:
    """The participant's contact details (opening is audited)."""
    person = _participant(session, reference)
    if active_consent(person, "contact") is None:
        raise PolicyViolation(
            what=f"{reference} has not agreed to be contacted (or withdrew)",
            fix="Do not contact them.",
        )
    details = vault.sealer.open(CONTACT, reference, person.contact_sealed, person.contact_key)
    _audit(session, actor, "participant", reference, {"step": "contact_opened"})
    return details


def check_archivable(item: QualitativeItem, registry: Registry | None = None) -> None:
    """Refuse to put an item into the archive unless its category may be archived (interview
    data, observation notes and survey responses never may)."""
    if not may_archive(item.category, registry=registry):
        raise PolicyViolation(
            what=f"qualitative item {item.id} is {item.category}, which is never archived",
            fix="Leave interview and other directly collected data out of the archive package.",
        )


@requires(Permission.CONSENT_MANAGE)
def hand_off_for_transcription(
    session: Session, actor: User, item_id: int, *, sent_on: dt.date
) -> TranscriptionHandoff:
    """Record that a recording was sent to the transcription service."""
    item = session.get(QualitativeItem, item_id)
    if item is None or item.kind != "recording" or item.deleted_on is not None:
        raise UserError(
            what=f"item {item_id} is not a stored recording",
            fix="Only recordings that are still held can be sent for transcription.",
        )
    handoff = TranscriptionHandoff(
        item_id=item.id, recipient=TRANSCRIPTION_SERVICE, sent_on=sent_on,
        recorded_by=actor.username,
    )  # fmt: skip
    session.add(handoff)
    session.flush()
    _audit(session, actor, "transcription", str(handoff.id), {"sent_on": sent_on.isoformat()})
    return handoff


@requires(Permission.CONSENT_MANAGE)
def transcription_completed(
    session: Session,
    actor: User,
    handoff_id: int,
    *,
    completed_on: dt.date,
    registry: Registry | None = None,
) -> TranscriptionHandoff:
    """Record completion; the service's copy falls due for deletion per the registry (7 days)."""
    handoff = _handoff(session, handoff_id)
    handoff.completed_on = completed_on
    handoff.deletion_due_on = retention_due(
        "interview_data",
        final_report_date=completed_on,  # not used for a recipient's days-after rule
        completed_at=completed_on,
        recipient=TRANSCRIPTION_SERVICE,
        registry=registry or default_registry(),
    )
    session.flush()
    _audit(session, actor, "transcription", str(handoff.id),
           {"completed_on": completed_on.isoformat(),
            "deletion_due_on": handoff.deletion_due_on.isoformat() if handoff.deletion_due_on
            else None})  # fmt: skip
    return handoff


@requires(Permission.CONSENT_MANAGE)
def confirm_transcription_deletion(
    session: Session, actor: User, handoff_id: int, *, confirmed_on: dt.date
) -> TranscriptionHandoff:
    """Record the service's confirmation that its copy was deleted."""
    handoff = _handoff(session, handoff_id)
    if handoff.completed_on is None:
        raise UserError(
            what=f"transcription {handoff_id} is not completed yet",
            fix="Record completion first.",
        )
    handoff.deletion_confirmed_on = confirmed_on
    session.flush()
    _audit(session, actor, "transcription", str(handoff.id),
           {"confirmed_on": confirmed_on.isoformat(),
            "late": bool(handoff.deletion_due_on and confirmed_on > handoff.deletion_due_on)})  # fmt: skip
    return handoff


def _handoff(session: Session, handoff_id: int) -> TranscriptionHandoff:
    handoff = session.get(TranscriptionHandoff, handoff_id)
    if handoff is None:
        raise UserError(what=f"there is no transcription hand-off {handoff_id}", fix="Check it.")
    return handoff


@requires(Permission.CONSENT_MANAGE)
def transcription_reminders(
    session: Session, actor: User, *, today: dt.date
) -> list[TranscriptionHandoff]:
    """Hand-offs whose deletion at the service is due (or overdue) and not yet confirmed."""
    return list(
        session.scalars(
            select(TranscriptionHandoff)
            .where(
                TranscriptionHandoff.deletion_due_on.is_not(None),
                TranscriptionHandoff.deletion_due_on <= today,
                TranscriptionHandoff.deletion_confirmed_on.is_(None),
            )
            .order_by(TranscriptionHandoff.deletion_due_on)
        )
    )


@requires(Permission.CONSENT_MANAGE)
def list_participants(session: Session, actor: User) -> list[Participant]:
    return list(session.scalars(select(Participant).order_by(Participant.id)))
