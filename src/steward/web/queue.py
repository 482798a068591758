"""The DPO's request queue: filtered, paginated in SQL, deadlines worked out for the page only.

Working out a deadline needs a request's pauses, so doing it for every request would make the
page cost grow with the whole log; the page selects one page of requests by SQL and loads the
pauses of just those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from steward.governance.access import Permission, User, requires
from steward.governance.rights.deadlines import (
    Pause,
    PauseReason,
    Rag,
    compute_deadline,
    rag_status,
)
from steward.governance.rights.models import RequestPause, RightsRequest
from steward.governance.rights.service import CHANNELS, Right, deadline_of

PAGE_SIZES = (25, 50, 100, 200)
STATUSES = ("open", "closed", "refused")


@dataclass(frozen=True)
class QueueFilters:
    """What the DPO filtered by; every field optional."""

    status: str | None = "open"
    right: str | None = None
    channel: str | None = None
    la_code: str | None = None
    reference: str | None = None
    forwarded: bool = False

    def clean(self) -> QueueFilters:
        """Unknown values are ignored rather than failing: a filter is a view, not an input."""
        rights = {r.value for r in Right}
        return QueueFilters(
            status=self.status if self.status in STATUSES else None,
            right=self.right if self.right in rights else None,
            channel=self.channel if self.channel in CHANNELS else None,
            la_code=(self.la_code or "").strip().upper()[:9] or None,
            reference=(self.reference or "").strip().upper()[:20] or None,
            forwarded=self.forwarded,
        )


@dataclass(frozen=True)
class QueueRow:
    reference: str
    rights: tuple[str, ...]
    channel: str
    received_on: dt.date
    due_on: dt.date
    days_left: int
    rag: Rag
    identity_status: str
    locate_status: str
    la_code: str | None
    status: str
    outcome: str | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def filtered(filters: QueueFilters) -> Select[Any]:
    """The requests matching ``filters``, oldest received first (the most urgent on top)."""
    query = select(RightsRequest)
    if filters.status:
        query = query.where(RightsRequest.status == filters.status)
    if filters.right:
        # rights is a JSON list; its text holds each right in quotes.
        query = query.where(cast(RightsRequest.rights, Text).like(f'%"{filters.right}"%'))
    if filters.channel:
        query = query.where(RightsRequest.channel == filters.channel)
    if filters.la_code:
        query = query.where(RightsRequest.la_code == filters.la_code)
    if filters.reference:
        query = query.where(RightsRequest.reference.like(f"%{_escape_like(filters.reference)}%",
                                                         escape="\\"))  # fmt: skip
    if filters.forwarded:
        query = query.where(RightsRequest.locate_status == "forwarded")
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def to_row(request: RightsRequest, today: dt.date) -> QueueRow:
    deadline = deadline_of(request, today)
    return QueueRow(
        reference=request.reference,
        rights=tuple(request.rights),
        channel=request.channel,
        received_on=request.received_on,
        due_on=deadline.due_on,
        days_left=deadline.days_left(today),
        rag=rag_status(deadline, today) if request.status == "open" else Rag.GREEN,
        identity_status=request.identity_status,
        locate_status=request.locate_status,
        la_code=request.la_code,
        status=request.status,
        outcome=request.outcome,
    )


@requires(Permission.RIGHTS_MANAGE)
def queue_page(
    session: Session,
    actor: User,
    filters: QueueFilters,
    *,
    page: int = 1,
    per_page: int = 50,
    today: dt.date | None = None,
) -> QueuePage:
    """One page of the request queue (needs ``rights.manage``)."""
    today = today or dt.date.today()
    filters = filters.clean()
    per_page = per_page if per_page in PAGE_SIZES else 50
    base = filtered(filters)
    # Count over the WHERE clause alone: a count of the whole-row subquery reads every column.
    total = session.scalar(base.with_only_columns(func.count(RightsRequest.id))) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    query = (
        base.with_only_columns(*_QUEUE_COLUMNS)
        .order_by(RightsRequest.received_on, RightsRequest.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return QueuePage(_rows(session, query, today), total, page, per_page)


# The queue reads plain columns, not ORM objects: one page costs two small queries.
_QUEUE_COLUMNS = (
    RightsRequest.id,
    RightsRequest.reference,
    RightsRequest.rights,
    RightsRequest.channel,
    RightsRequest.received_on,
    RightsRequest.extension_months,
    RightsRequest.identity_status,
    RightsRequest.locate_status,
    RightsRequest.la_code,
    RightsRequest.status,
    RightsRequest.outcome,
)


def _rows(session: Session, query: Executable, today: dt.date) -> list[QueueRow]:
    found = session.execute(query).all()
    pauses: dict[int, list[Pause]] = {}
    if found:
        for request_id, reason, started, ended in session.execute(
            select(
                RequestPause.request_id,
                RequestPause.reason,
                RequestPause.started_on,
                RequestPause.ended_on,
            ).where(RequestPause.request_id.in_([r.id for r in found]))
        ):
            pauses.setdefault(request_id, []).append(Pause(PauseReason(reason), started, ended))
    rows = []
    for r in found:
        # The same computation as the rights service's deadline_of, from plain columns.
        deadline = compute_deadline(
            r.received_on, pauses.get(r.id, []), extension_months=r.extension_months, today=today
        )
        rows.append(
            QueueRow(
                reference=r.reference,
                rights=tuple(r.rights),
                channel=r.channel,
                received_on=r.received_on,
                due_on=deadline.due_on,
                days_left=deadline.days_left(today),
                rag=rag_status(deadline, today) if r.status == "open" else Rag.GREEN,
                identity_status=r.identity_status,
                locate_status=r.locate_status,
                la_code=r.la_code,
                status=r.status,
                outcome=r.outcome,
            )
        )
    return rows


@requires(Permission.RIGHTS_MANAGE)
def queue_all(
    session: Session, actor: User, filters: QueueFilters, *, today: dt.date | None = None
) -> list[QueueRow]:
    """Every matching request (for the CSV export)."""
    today = today or dt.date.today()
    query = (
        filtered(filters.clean())
        .with_only_columns(*_QUEUE_COLUMNS)
        .order_by(RightsRequest.received_on, RightsRequest.id)
    )
    return _rows(session, query, today)
