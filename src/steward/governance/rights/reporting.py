"""Reminders (red / amber / paused / waiting for an LA) and accountability statistics, which
export counts only: no names, no references, no pseudonyms."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.governance.access import Permission, User, requires
from steward.governance.rights.deadlines import Rag, rag_status
from steward.governance.rights.models import RightsRequest
from steward.governance.rights.service import _open_pause, deadline_of, list_requests


@dataclass(frozen=True)
class Reminder:
    reference: str
    rights: tuple[str, ...]
    due_on: dt.date
    days_left: int
    rag: Rag
    note: str


@requires(Permission.RIGHTS_MANAGE)
def reminders(session: Session, actor: User, *, today: dt.date) -> list[Reminder]:
    """Open requests that need attention: red, amber, paused, or an LA answer awaited."""
    out = []
    for request in list_requests(session, actor, status="open"):
        deadline = deadline_of(request, today)
        rag = rag_status(deadline, today)
        notes = []
        if rag is Rag.PAUSED:
            pause = _open_pause(request)
            notes.append(f"clock paused for {pause.reason if pause else '?'}")
        if request.locate_status == "forwarded" and request.la_answered_on is None:
            notes.append("waiting for the LA's answer")
        if rag is Rag.GREEN and not notes:
            continue
        out.append(
            Reminder(
                request.reference,
                tuple(request.rights),
                deadline.due_on,
                deadline.days_left(today),
                rag,
                "; ".join(notes),
            )
        )
    return sorted(out, key=lambda r: r.due_on)


@requires(Permission.RIGHTS_MANAGE)
def accountability_statistics(session: Session, actor: User, *, today: dt.date) -> dict[str, Any]:
    """Counts by right, % answered on time, extensions and outcomes; no personal data."""
    requests = list(session.scalars(select(RightsRequest)))
    by_right: Counter[str] = Counter(r for req in requests for r in req.rights)
    closed = [r for r in requests if r.closed_on is not None]
    on_time = sum(1 for r in closed if r.closed_on and r.closed_on <= deadline_of(r, today).due_on)
    overdue_open = sum(
        1 for r in requests if r.status == "open" and deadline_of(r, today).due_on < today
    )
    return {
        "as_of": today.isoformat(),
        "requests": len(requests),
        "by_right": dict(sorted(by_right.items())),
        "by_channel": dict(sorted(Counter(r.channel for r in requests).items())),
        "closed": len(closed),
        "closed_on_time": on_time,
        "percent_on_time": round(100 * on_time / len(closed), 1) if closed else None,
        "open_overdue": overdue_open,
        "extended": sum(1 for r in requests if r.extension_months),
        "outcomes": dict(sorted(Counter(r.outcome or "open" for r in requests).items())),
        "forwarded_to_la": sum(1 for r in requests if r.locate_status == "forwarded"),
    }
