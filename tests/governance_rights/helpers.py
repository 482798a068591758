"""Shared steps of the subject-action tests: log, verify and locate a request."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from steward.governance.access import User
from steward.governance.db import session_scope
from steward.governance.rights import service as rights
from steward.governance.rights.locate import locate
from steward.governance.rights.service import Requester, RightsKeys
from steward.store import ResearchStore
from steward.workspace import Workspace

from .conftest import Child

D = dt.date
RECEIVED = D(2026, 10, 1)


def open_request(
    engine: Engine, dpo: User, keys: RightsKeys, rights_: list[str], *, relationship: str = "self"
) -> str:
    with session_scope(engine) as session:
        request = rights.log_request(
            session, dpo, keys, rights=rights_, channel="letter", received_on=RECEIVED,
            requester=Requester(name="Sam Fictional", contact="sam@example.org"),
            relationship=relationship,
        )  # fmt: skip
        rights.verify_identity(
            session, dpo, request.reference, verified=True, evidence_ref="ID seen",
            on=RECEIVED, authority_verified=True if relationship != "self" else None,
        )  # fmt: skip
        return request.reference


def located_request(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, child: Child,
    rights_: list[str],
) -> str:  # fmt: skip
    reference = open_request(engine, dpo, keys, rights_)
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        request = locate(session, dpo, keys, store, reference, la_code=child.la_code,
                         la_child_id=child.la_child_id)  # fmt: skip
        assert request.locate_status == "matched" and request.child_pid == child.pid
    return reference
