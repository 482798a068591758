"""The consent register and the retention calendar."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.governance.access import Permission
from steward.web.context import db_session, get_context
from steward.web.guard import Principal, require
from steward.web.templating import render

router = APIRouter()


@router.get("/consent")
def consent_register(
    request: Request,
    db: Annotated[Session, Depends(db_session, scope="function")],
    principal: Annotated[Principal, Depends(require(Permission.CONSENT_MANAGE))],
) -> Response:
    """Participants and their consents (references and dates only; contact details stay sealed)."""
    from steward.governance.consent.service import list_participants

    participants = list_participants(db, principal.user)
    return render(request, "consent.html", principal, participants=participants)


def retention_calendar(registry: Any, final_report: dt.date) -> list[dict[str, Any]]:
    """Each retention rule with the day its data must be gone (None: no fixed day)."""
    rows = []
    for rule in registry.retention:
        due: dt.date | None = None
        if rule.rule == "years_after_final_report" and rule.years is not None:
            try:
                due = final_report.replace(year=final_report.year + rule.years)
            except ValueError:  # 29 February
                due = final_report.replace(year=final_report.year + rule.years, day=28)
        rows.append({"id": rule.id, "applies_to": rule.applies_to, "rule": rule.rule,
                     "due": due, "plain": rule.plain})  # fmt: skip
    return sorted(rows, key=lambda r: (r["due"] is None, r["due"] or dt.date.max))


@router.get("/retention")
def retention(
    request: Request,
    db: Annotated[Session, Depends(db_session, scope="function")],
    principal: Annotated[Principal, Depends(require(Permission.RETENTION_PLAN))],
) -> Response:
    """The retention ledger (every stored object, soonest due first) and the rules behind it."""
    from steward.governance.retention.run import plan
    from steward.policy.loader import load_registry, registry_path

    ws = get_context(request).workspace
    today = dt.date.today()
    calendar = retention_calendar(
        load_registry(registry_path(ws.root)), ws.settings.final_report_date
    )
    objects = plan(db, principal.user, today, ws)
    return render(request, "retention.html", principal, calendar=calendar, objects=objects,
                  today=today)  # fmt: skip
