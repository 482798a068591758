"""The complaints log, the disclosures register and the breach register.

- a complaint is acknowledged within 30 days (the registry's ``complaints``; DPA 2018 s.164A),
  its outcome recorded, and the reply gives the route to the ICO;
- a disclosure made because the law required it records to whom, on which legal basis, what
  and when;
- every personal data breach is recorded, reported or not, with the 72-hour clock for telling
  the ICO (UK GDPR Article 33), the decision on telling the people affected (Article 34) and the
  reasons when not reporting or reporting late.

``rights.manage`` guards these until dedicated permissions (``complaints.manage``,
``breaches.manage``) exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.errors import UserError, ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.audit import AuditAction
from steward.governance.audit.log import record_in
from steward.governance.registers.models import Breach, Complaint, Disclosure
from steward.governance.rights.sealed import Sealer
from steward.policy import default_registry
from steward.policy.model import Registry

ICO_NOTIFY_HOURS = 72
COMPLAINT = "complaint"
COMPLAINT_OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "withdrawn")


def _audit(session: Session, actor: User, kind: str, reference: str, details: dict[str, Any],
           pseudonyms: list[str] | None = None) -> None:  # fmt: skip
    record_in(session, actor.username, AuditAction.RIGHTS_ACTION, kind, reference,
              pseudonyms or [], details)  # fmt: skip


def _reference(session: Session, model: Any, prefix: str, year: int) -> str:
    count = session.scalar(
        select(func.count()).select_from(model).where(model.reference.like(f"{prefix}-{year}-%"))
    )
    return f"{prefix}-{year}-{(count or 0) + 1:04d}"


def _required(value: str, what: str) -> None:
    if not value or not value.strip():
        raise ValidationError(what=f"{what} is empty", fix=f"Record {what}.")


# -- complaints ---------------------------------------------------------------------------------
@requires(Permission.RIGHTS_MANAGE)
def log_complaint(
    session: Session,
    actor: User,
    sealer: Sealer,
    *,
    received_on: dt.date,
    channel: str,
    complainant: dict[str, str],
    summary: str,
    request_reference: str | None = None,
    registry: Registry | None = None,
) -> Complaint:
    """Log a complaint; the complainant's details and words are sealed."""
    _required(summary, "the complaint summary")
    days = (registry or default_registry()).complaints.acknowledge_within_days
    reference = _reference(session, Complaint, "CMP", received_on.year)
    sealed = sealer.seal(COMPLAINT, reference, {**complainant, "summary": summary})
    complaint = Complaint(
        reference=reference,
        received_on=received_on,
        channel=channel,
        request_reference=request_reference,
        sealed=sealed.ciphertext,
        sealed_key=sealed.wrapped_key,
        acknowledge_by=received_on + dt.timedelta(days=days),
        ico_route_given=False,
        created_by=actor.username,
    )
    session.add(complaint)
    session.flush()
    _audit(session, actor, "complaint", reference,
           {"step": "logged", "acknowledge_due": complaint.acknowledge_by.isoformat()})  # fmt: skip
    return complaint


def _complaint(session: Session, reference: str) -> Complaint:
    row = session.scalar(select(Complaint).where(Complaint.reference == reference))
    if row is None:
        raise UserError(what=f"there is no complaint {reference!r}", fix="Check the reference.")
    return row


@requires(Permission.RIGHTS_MANAGE)
def acknowledge_complaint(
    session: Session, actor: User, reference: str, *, on: dt.date
) -> Complaint:
    complaint = _complaint(session, reference)
    complaint.acknowledged_on = on
    session.flush()
    _audit(session, actor, "complaint", reference,
           {"step": "acknowledged", "late": on > complaint.acknowledge_by})  # fmt: skip
    return complaint


@requires(Permission.RIGHTS_MANAGE)
def record_complaint_outcome(
    session: Session,
    actor: User,
    reference: str,
    *,
    outcome: str,
    summary: str,
    on: dt.date,
    ico_route_given: bool,
) -> Complaint:
    """Record the outcome; the reply must give the route to the ICO (refused otherwise)."""
    complaint = _complaint(session, reference)
    if outcome not in COMPLAINT_OUTCOMES:
        raise ValidationError(
            what=f"unknown outcome {outcome!r}", fix=f"Use one of: {', '.join(COMPLAINT_OUTCOMES)}."
        )
    _required(summary, "the outcome summary")
    if not ico_route_given:
        raise ValidationError(
            what="the reply does not tell the complainant they can go to the ICO",
            fix="Include the ICO route (complaint_reply_footer gives the words) and confirm.",
        )
    if complaint.acknowledged_on is None:
        complaint.acknowledged_on = on
    complaint.outcome, complaint.outcome_summary, complaint.outcome_on = outcome, summary, on
    complaint.ico_route_given = True
    session.flush()
    _audit(session, actor, "complaint", reference, {"step": "outcome", "outcome": outcome})
    return complaint


def complaint_reply_footer(registry: Registry | None = None) -> str:
    """The words on the route to the ICO that every outcome letter carries."""
    c = (registry or default_registry()).complaints
    return (
        "If you are unhappy with our answer you can complain to the Information Commissioner's "
        f"Office: {c.ico_address}; telephone {c.ico_phone}; {c.ico_url}"
    )


@requires(Permission.RIGHTS_MANAGE)
def overdue_acknowledgements(session: Session, actor: User, *, today: dt.date) -> list[Complaint]:
    return list(
        session.scalars(
            select(Complaint).where(
                Complaint.acknowledged_on.is_(None), Complaint.acknowledge_by < today
            )
        )
    )


# -- disclosures ----------------------------------------------------------------------------------
@requires(Permission.RIGHTS_MANAGE)
def record_disclosure(
    session: Session,
    actor: User,
    *,
    recipient: str,
    legal_basis: str,
    what: str,
    disclosed_on: dt.date,
    pseudonyms: list[str] | None = None,
    request_reference: str | None = None,
) -> Disclosure:
    """Record a disclosure made under a legal obligation (court order, statutory request, …)."""
    for value, name in ((recipient, "the recipient"), (legal_basis, "the legal basis"),
                        (what, "what was disclosed")):  # fmt: skip
        _required(value, name)
    row = Disclosure(
        reference=_reference(session, Disclosure, "DSC", disclosed_on.year),
        recipient=recipient,
        legal_basis=legal_basis,
        what=what,
        disclosed_on=disclosed_on,
        pseudonyms=list(pseudonyms or []),
        request_reference=request_reference,
        recorded_by=actor.username,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "disclosure", row.reference,
           {"disclosed_on": disclosed_on.isoformat()}, row.pseudonyms)  # fmt: skip
    return row


@requires(Permission.RIGHTS_MANAGE)
def list_disclosures(session: Session, actor: User) -> list[Disclosure]:
    return list(session.scalars(select(Disclosure).order_by(Disclosure.disclosed_on)))


# -- breaches -------------------------------------------------------------------------------------
def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValidationError(
            what="a breach time was given without a time zone",
            fix="Give times with their zone (e.g. 2026-03-02T09:15+00:00).",
        )
    return moment.astimezone(dt.UTC)


def ico_deadline(breach: Breach) -> dt.datetime:
    """72 hours after the controller became aware of the breach (Article 33(1))."""
    return _as_utc(breach.found_at) + dt.timedelta(hours=ICO_NOTIFY_HOURS)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes; they were stored as UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


@requires(Permission.RIGHTS_MANAGE)
def record_breach(
    session: Session,
    actor: User,
    *,
    what: str,
    found_at: dt.datetime,
    categories: list[str],
    approx_people: int,
    approx_records: int,
    consequences: str,
    measures: str,
    occurred_at: dt.datetime | None = None,
    registry: Registry | None = None,
) -> Breach:
    """Record a breach as soon as it is found (every breach, whether reported or not)."""
    registry = registry or default_registry()
    for value, name in ((what, "what happened"), (consequences, "the likely consequences"),
                        (measures, "the measures taken")):  # fmt: skip
        _required(value, name)
    unknown = [c for c in categories if c not in registry.category_ids | registry.group_ids]
    if unknown or not categories:
        raise ValidationError(
            what=f"unknown or missing data categories {unknown}",
            fix="Name the registry's categories involved ('steward policy show').",
        )
    if approx_people < 0 or approx_records < 0:
        raise ValidationError(what="negative numbers of people or records", fix="Estimate >= 0.")
    row = Breach(
        reference=_reference(session, Breach, "BR", found_at.year),
        what=what,
        occurred_at=_utc(occurred_at) if occurred_at else None,
        found_at=_utc(found_at),
        categories=sorted(categories),
        approx_people=approx_people,
        approx_records=approx_records,
        consequences=consequences,
        measures=measures,
        recorded_by=actor.username,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "breach", row.reference,
           {"step": "recorded", "people": approx_people, "records": approx_records,
            "ico_due_at": ico_deadline(row).isoformat()})  # fmt: skip
    return row


def _breach(session: Session, reference: str) -> Breach:
    row = session.scalar(select(Breach).where(Breach.reference == reference))
    if row is None:
        raise UserError(what=f"there is no breach {reference!r}", fix="Check the reference.")
    return row


@requires(Permission.RIGHTS_MANAGE)
def decide_ico_notification(
    session: Session,
    actor: User,
    reference: str,
    *,
    notify: bool,
    reason: str,
    notified_at: dt.datetime | None = None,
    ico_reference: str | None = None,
    late_reason: str | None = None,
) -> Breach:
    """Record whether the ICO is told. Not telling needs a reason (unlikely to result in a risk);
    telling after 72 hours needs the reasons for the delay."""
    breach = _breach(session, reference)
    _required(reason, "the reason for the decision")
    if notify:
        if notified_at is None:
            raise ValidationError(what="no notification time", fix="Give when the ICO was told.")
        notified = _utc(notified_at)
        if notified > ico_deadline(breach) and not (late_reason and late_reason.strip()):
            raise ValidationError(
                what=f"the ICO was told after the {ICO_NOTIFY_HOURS}-hour limit",
                fix="Record the reasons for the delay (Article 33(1)).",
            )
        breach.ico_notified_at = notified
        breach.ico_reference = ico_reference
        breach.late_reason = late_reason
    breach.notify_ico = notify
    breach.decision_reason = reason
    session.flush()
    _audit(session, actor, "breach", reference,
           {"step": "ico_decision", "notify": notify,
            "late": bool(notify and breach.late_reason)})  # fmt: skip
    return breach


@requires(Permission.RIGHTS_MANAGE)
def decide_people_notification(
    session: Session,
    actor: User,
    reference: str,
    *,
    notify: bool,
    reason: str,
    notified_on: dt.date | None = None,
) -> Breach:
    """Record whether the people affected are told (Article 34), with the reason."""
    breach = _breach(session, reference)
    _required(reason, "the reason for the decision")
    breach.notify_people = notify
    breach.people_reason = reason
    breach.people_notified_on = notified_on if notify else None
    session.flush()
    _audit(session, actor, "breach", reference, {"step": "people_decision", "notify": notify})
    return breach


@requires(Permission.RIGHTS_MANAGE)
def breaches_awaiting_decision(
    session: Session, actor: User, *, now: dt.datetime
) -> list[tuple[Breach, dt.timedelta]]:
    """Breaches with no ICO decision yet, with the time left on the 72-hour clock (negative when
    overdue), most urgent first."""
    rows = session.scalars(select(Breach).where(Breach.notify_ico.is_(None)))
    out = [(b, ico_deadline(b) - _utc(now)) for b in rows]
    return sorted(out, key=lambda pair: pair[1])
