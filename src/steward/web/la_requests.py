"""Rights requests the DPO forwarded to an LA, as that LA's data team sees and answers them.

The rights slice's ``record_la_answer`` needs ``rights.manage``, which LA data teams do not
hold; an LA team may answer only requests forwarded to its own LA, checked here against the
LA-scoped ``quality_report.read_own_la`` (the one permission only LA teams hold).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import UserError, ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.audit import AuditAction
from steward.governance.audit.log import record_in
from steward.governance.rights.models import RightsRequest

MAX_ANSWER = 4000


@requires(Permission.QUALITY_REPORT_READ_OWN_LA)
def forwarded_requests(
    session: Session, actor: User, *, la_code: str | None
) -> list[RightsRequest]:
    """Requests forwarded to ``la_code`` (the actor's own LA), oldest first."""
    return list(
        session.scalars(
            select(RightsRequest)
            .where(RightsRequest.locate_status == "forwarded", RightsRequest.la_code == la_code)
            .order_by(RightsRequest.received_on, RightsRequest.id)
        )
    )


@requires(Permission.QUALITY_REPORT_READ_OWN_LA)
def answer_forwarded(
    session: Session, actor: User, reference: str, *, la_code: str | None, answer: str,
    on: dt.date,
) -> RightsRequest:  # fmt: skip
    """Record the LA's answer; another LA's request reads as "not found"."""
    request = session.scalar(select(RightsRequest).where(RightsRequest.reference == reference))
    if request is None or request.la_code != la_code or request.locate_status != "forwarded":
        raise UserError(
            what=f"there is no request {reference!r} forwarded to your LA",
            fix="Pick one from the list of forwarded requests.",
        )
    answer = answer.strip()
    if not answer:
        raise ValidationError(what="the answer is empty", fix="Say what your LA did.")
    if len(answer) > MAX_ANSWER:
        raise ValidationError(
            what=f"the answer is longer than {MAX_ANSWER} characters", fix="Shorten it."
        )
    request.la_answer = answer
    request.la_answered_on = on
    session.flush()
    record_in(
        session, actor.username, AuditAction.RIGHTS_ACTION, "rights_request", request.reference,
        [request.child_pid] if request.child_pid else [],
        {"step": "la_answered", "answered_on": on.isoformat(), "la_code": la_code},
    )  # fmt: skip
    return request
