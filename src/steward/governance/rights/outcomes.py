"""How a request ends: refusal (or a fee) for a manifestly unfounded or excessive request, and
closing with an outcome. A refusal or an exemption always carries its recorded reason, and the
requester is told of the right to complain to the ICO."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steward.errors import ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.rights.deadlines import PauseReason
from steward.governance.rights.models import RequestPause, RightsRequest
from steward.governance.rights.service import (
    OUTCOMES,
    _audit,
    _open_pause,
    _require_open,
    deadline_of,
    get_request,
)


@requires(Permission.RIGHTS_MANAGE)
def refuse(
    session: Session,
    actor: User,
    reference: str,
    *,
    grounds: str,
    reason: str,
    on: dt.date,
    fee_pence: int | None = None,
) -> RightsRequest:
    """Refuse a manifestly unfounded or excessive request, or (``fee_pence``) ask a fee instead.

    The reason is recorded; the reply must tell the requester of their right to complain to the
    ICO (see :func:`refusal_letter`). Asking a fee pauses the clock until it is paid.
    """
    request = get_request(session, reference)
    _require_open(request)
    if grounds not in ("unfounded", "excessive"):
        raise ValidationError(
            what=f"unknown grounds {grounds!r}",
            fix="A request may be refused only as manifestly 'unfounded' or 'excessive'.",
        )
    if not reason.strip():
        raise ValidationError(what="no reason was recorded", fix="Record why, in plain words.")
    if fee_pence is not None:
        if fee_pence <= 0:
            raise ValidationError(what="the fee must be positive", fix="Give it in pence.")
        request.fee_pence = fee_pence
        request.outcome_reason = reason
        if _open_pause(request) is None:
            request.pauses.append(RequestPause(reason=PauseReason.FEE.value, started_on=on))
        session.flush()
        _audit(session, actor, request, "fee_requested", {"grounds": grounds, "pence": fee_pence})
        return request
    request.status = "refused"
    request.outcome = f"refused_{grounds}"
    request.outcome_reason = reason
    request.closed_on = on
    pause = _open_pause(request)
    if pause is not None:
        pause.ended_on = on
    session.flush()
    _audit(session, actor, request, "refused", {"grounds": grounds, "closed_on": on.isoformat()})
    return request


def refusal_letter(request: RightsRequest, *, complaints: Any) -> str:
    """Plain-language refusal text with the reason and the route to complain to the ICO."""
    return (
        f"Your request {request.reference} received on {request.received_on.isoformat()}\n\n"
        f"We are not able to act on your request because we consider it manifestly "
        f"{(request.outcome or 'refused').removeprefix('refused_')}: {request.outcome_reason}\n\n"
        f"You have the right to complain. You can {complaints.how}. You can also complain to "
        f"the {complaints.ico_address} (telephone {complaints.ico_phone}, {complaints.ico_url}) "
        "and you may seek to enforce your rights through the courts.\n"
    )


@requires(Permission.RIGHTS_MANAGE)
def close_request(
    session: Session, actor: User, reference: str, *, outcome: str, on: dt.date, reason: str = ""
) -> RightsRequest:
    """Close a request with its outcome (a refusal or exemption needs a reason)."""
    request = get_request(session, reference)
    _require_open(request)
    if outcome not in OUTCOMES:
        raise ValidationError(
            what=f"unknown outcome {outcome!r}", fix=f"Use one of: {', '.join(OUTCOMES)}."
        )
    if (outcome.startswith("refused") or outcome == "partly_completed") and not reason.strip():
        raise ValidationError(
            what=f"outcome {outcome} needs a recorded reason",
            fix="Pass --reason with the exemption or grounds relied on.",
        )
    pause = _open_pause(request)
    if pause is not None:
        pause.ended_on = max(on, pause.started_on)
    request.status = "refused" if outcome.startswith("refused") else "closed"
    request.outcome = outcome
    request.outcome_reason = reason or request.outcome_reason
    request.closed_on = on
    session.flush()
    due = deadline_of(request, on).due_on
    _audit(
        session, actor, request, "closed",
        {"outcome": outcome, "closed_on": on.isoformat(), "on_time": on <= due},
    )  # fmt: skip
    return request
