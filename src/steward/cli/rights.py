"""``steward rights``: the rights request log, from logging a request to closing it.

Every command acts as a named user (``--as``; the password is prompted) and needs the
``rights.manage`` permission. Personal data (the requester's name and contact, the LA's child
id) is prompted for, never taken on the command line, so it stays out of shell history.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from steward.cli.common import AsOption, WorkspaceOption, sign_in, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from steward.governance.access import User
    from steward.governance.rights.service import RightsKeys
    from steward.workspace import Workspace

app = typer.Typer(
    name="rights",
    help="Data subject rights requests: log, track, act, close.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)

OnOption = Annotated[
    str | None, typer.Option("--on", help="Date it happened, YYYY-MM-DD (default: today).")
]
Ref = Annotated[str, typer.Argument(help="Request reference, e.g. RR-2026-0001.")]


def _date(text: str | None) -> dt.date:
    from steward.errors import ValidationError

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            what=f"{text!r} is not a date", fix="Write dates as YYYY-MM-DD."
        ) from None


@dataclass
class Desk:
    """What a command works with: the workspace, its governance database, the acting user."""

    workspace: Workspace
    engine: Engine
    actor: User
    session: Session

    @property
    def keys(self) -> RightsKeys:
        from steward.governance.rights.service import RightsKeys

        return RightsKeys.for_workspace(self.workspace)


@contextmanager
def desk(workspace: Path, username: str) -> Iterator[Desk]:
    """Open the workspace, log the user in, and give one transaction for the command."""
    from steward.governance.db import open_database, session_scope
    from steward.workspace import open_workspace

    ws = open_workspace(workspace)
    engine = open_database(ws.database_url)
    try:
        actor = sign_in(engine, username)
        with session_scope(engine) as session:
            yield Desk(ws, engine, actor, session)
    finally:
        engine.dispose()


def _show_request(d: Desk, reference: str) -> None:
    from steward.governance.rights.deadlines import rag_status
    from steward.governance.rights.service import deadline_of, get_request

    request = get_request(d.session, reference)
    today = dt.date.today()
    deadline = deadline_of(request, today)
    rows = [
        ("Reference", request.reference),
        ("Rights", ", ".join(request.rights)),
        ("Received", request.received_on.isoformat()),
        ("Channel", request.channel),
        ("Requester is", request.requester_relationship),
        ("Identity", f"{request.identity_status} ({request.identity_evidence_ref or '-'})"),
        ("Authority", request.authority_status),
        ("Located", request.locate_status),
        ("Child holds the right (16+)", "yes" if request.child_holds_right else "no"),
        ("Status", request.status + (f" ({request.outcome})" if request.outcome else "")),
        ("Due", f"{deadline.due_on.isoformat()} [{rag_status(deadline, today).value}]"
         + (" provisional: clock paused" if deadline.paused else "")),
        ("Paused days", str(deadline.paused_days)),
        ("Extension", f"{request.extension_months} month(s)" if request.extension_months else "-"),
    ]  # fmt: skip
    table = Table(show_header=False)
    for label, value in rows:
        table.add_row(label, value)
    out.print(table)
    for action in request.actions:
        out.print(f"- {action.at:%Y-%m-%d} {action.kind} by {action.actor}: {action.summary}")


@app.command()
def log(
    right: Annotated[list[str], typer.Option("--right", help="Right invoked (repeat for more).")],
    channel: Annotated[str, typer.Option(help="email, letter, phone, web_form, in_person, via_la")],
    as_user: AsOption,
    received: Annotated[str | None, typer.Option(help="Day received, YYYY-MM-DD.")] = None,
    relationship: Annotated[str, typer.Option(help="self, parent, carer or representative.")] = (
        "self"
    ),
    la_code: Annotated[str | None, typer.Option(help="LA the person's data came from.")] = None,
    allow_duplicate: Annotated[bool, typer.Option(help="Log although one is open.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Log a new request (the requester's name and contact are prompted, then sealed)."""
    from steward.governance.rights.service import Requester, log_request

    with user_errors(), desk(workspace, as_user) as d:
        requester = Requester(
            name=typer.prompt("Requester's name"),
            contact=typer.prompt("Requester's e-mail, phone or address for the reply"),
        )
        request = log_request(
            d.session, d.actor, d.keys, rights=right, requester=requester, channel=channel,
            received_on=_date(received), relationship=relationship, la_code=la_code,
            allow_duplicate=allow_duplicate,
        )  # fmt: skip
        out.print(f"Logged {request.reference}; the clock is paused until identity is verified.")


@app.command()
def show(reference: Ref, as_user: AsOption, workspace: WorkspaceOption = Path(".")) -> None:
    """Show a request: status, deadline (red/amber/green), actions taken."""
    with user_errors(), desk(workspace, as_user) as d:
        _show_request(d, reference)


@app.command(name="list")
def list_(
    as_user: AsOption,
    status: Annotated[str | None, typer.Option(help="open, closed or refused.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """List requests with their deadline and red/amber/green status."""
    from steward.governance.rights.deadlines import rag_status
    from steward.governance.rights.service import deadline_of, list_requests

    with user_errors(), desk(workspace, as_user) as d:
        today = dt.date.today()
        table = Table("Reference", "Rights", "Received", "Status", "Due", "RAG")
        for r in list_requests(d.session, d.actor, status=status):
            deadline = deadline_of(r, today)
            rag = rag_status(deadline, today).value if r.status == "open" else "-"
            table.add_row(r.reference, ", ".join(r.rights), r.received_on.isoformat(), r.status,
                          deadline.due_on.isoformat(), rag)  # fmt: skip
        out.print(table)


@app.command(name="verify-identity")
def verify_identity_(
    reference: Ref,
    as_user: AsOption,
    evidence: Annotated[str, typer.Option(help="Reference of what was checked (not a copy).")],
    failed: Annotated[bool, typer.Option(help="The check failed.")] = False,
    authority: Annotated[
        bool | None, typer.Option("--authority/--no-authority", help="Proof of authority seen.")
    ] = None,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Record the identity (and authority) check; a success restarts the clock."""
    from steward.governance.rights.service import verify_identity

    with user_errors(), desk(workspace, as_user) as d:
        verify_identity(d.session, d.actor, reference, verified=not failed, evidence_ref=evidence,
                        on=_date(on), authority_verified=authority)  # fmt: skip
        out.print(f"{reference}: identity {'failed' if failed else 'verified'}.")


@app.command()
def pause(
    reference: Ref,
    as_user: AsOption,
    reason: Annotated[str, typer.Option(help="identity, clarification or fee.")],
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Stop the clock while waiting for identity, clarification or a fee."""
    from steward.governance.rights.service import pause_clock

    with user_errors(), desk(workspace, as_user) as d:
        pause_clock(d.session, d.actor, reference, reason=reason, on=_date(on))
        out.print(f"{reference}: clock paused ({reason}).")


@app.command()
def resume(
    reference: Ref, as_user: AsOption, on: OnOption = None, workspace: WorkspaceOption = Path(".")
) -> None:
    """Restart the clock."""
    from steward.governance.rights.service import resume_clock

    with user_errors(), desk(workspace, as_user) as d:
        resume_clock(d.session, d.actor, reference, on=_date(on))
        out.print(f"{reference}: clock running.")


@app.command()
def extend(
    reference: Ref,
    as_user: AsOption,
    months: Annotated[int, typer.Option(help="1 or 2 further months.")],
    reason: Annotated[str, typer.Option(help="Why the request is complex or numerous.")],
    told_on: Annotated[str | None, typer.Option(help="Day the requester was told.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Extend the time limit for a complex or numerous request."""
    from steward.governance.rights.service import extend as extend_request

    with user_errors(), desk(workspace, as_user) as d:
        extend_request(d.session, d.actor, reference, months=months, reason=reason,
                       told_on=_date(told_on))  # fmt: skip
        out.print(f"{reference}: extended by {months} month(s).")


@app.command()
def locate(
    reference: Ref,
    as_user: AsOption,
    la_code: Annotated[str, typer.Option(help="The LA's code (as in the returns).")],
    forward: Annotated[
        Path | None, typer.Option(help="Forward to the LA instead: write the letter here.")
    ] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Match the request through the LA's own child id (prompted, hashed, never stored), or
    forward it to the LA."""
    from steward.governance.rights.locate import forward_to_la
    from steward.governance.rights.locate import locate as locate_request
    from steward.store import ResearchStore

    with user_errors(), desk(workspace, as_user) as d:
        if forward is not None:
            letter = forward_to_la(d.session, d.actor, reference, la_code=la_code,
                                   on=dt.date.today())  # fmt: skip
            forward.write_text(letter, encoding="utf-8")
            out.print(f"{reference}: forwarded; letter written to {forward}.")
            return
        la_child_id = typer.prompt("The LA's child id for this person", hide_input=True)
        with ResearchStore.open(d.workspace) as store:
            request = locate_request(d.session, d.actor, d.keys, store, reference,
                                     la_code=la_code, la_child_id=la_child_id)  # fmt: skip
        if request.locate_status == "matched":
            out.print(f"{reference}: found in the data.")
            if request.child_holds_right:
                out.print("The child is 16 or over: the right is theirs (record their consent).")
        else:
            out.print(f"{reference}: not in the data. Forward it with --forward LETTER.txt.")


@app.command(name="la-answer")
def la_answer(
    reference: Ref,
    as_user: AsOption,
    answer: Annotated[str, typer.Option(help="What the LA said (no personal data).")],
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Record the LA's answer to a forwarded request."""
    from steward.governance.rights.locate import record_la_answer

    with user_errors(), desk(workspace, as_user) as d:
        record_la_answer(d.session, d.actor, reference, answer=answer, on=_date(on))
        out.print(f"{reference}: LA answer recorded.")


@app.command(name="child-consent")
def child_consent(
    reference: Ref,
    as_user: AsOption,
    status: Annotated[str, typer.Option(help="child_consented, child_lacks_competence, …")],
    evidence: Annotated[str, typer.Option(help="Reference of the evidence.")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """For a parent's request about a child of 16+: the child's consent or lack of competence."""
    from steward.governance.rights.service import record_child_consent

    with user_errors(), desk(workspace, as_user) as d:
        record_child_consent(d.session, d.actor, reference, status=status, evidence_ref=evidence)
        out.print(f"{reference}: {status} recorded.")


@app.command(name="access-pack")
def access_pack(
    reference: Ref,
    as_user: AsOption,
    out_dir: Annotated[Path, typer.Option("--out", help="New folder for the pack.")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Build the access / portability pack (JSON, CSV, manifest)."""
    from steward.governance.rights.access_pack import build_access_pack
    from steward.store import ResearchStore

    with user_errors(), desk(workspace, as_user) as d, ResearchStore.open(d.workspace) as store:
        pack = build_access_pack(d.session, d.actor, d.keys, store, reference, out_dir)
        out.print(f"Pack written to {pack.folder}: {pack.parts}")
        if pack.review_needed:
            out.print(
                f"[yellow]Review for third-party data before sending:[/] {pack.review_needed}"
            )


@app.command()
def rectify(
    reference: Ref,
    as_user: AsOption,
    table: Annotated[str, typer.Option(help="Store table, e.g. dr2_referrals.")],
    column: Annotated[str, typer.Option(help="Column to correct.")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Correct a value (prompted); before and after are kept sealed."""
    from steward.governance.rights.actions import rectify as rectify_rows
    from steward.store import ResearchStore

    with user_errors(), desk(workspace, as_user) as d, ResearchStore.open(d.workspace) as store:
        value = typer.prompt("Corrected value")
        action = rectify_rows(d.session, d.actor, d.keys, store, reference, table=table,
                              column=column, new_value=value)  # fmt: skip
        out.print(f"{reference}: {action.summary['rows']} row(s) corrected.")


@app.command()
def restrict(
    reference: Ref,
    as_user: AsOption,
    reason: Annotated[str, typer.Option(help="The ground for restriction.")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Restrict use: the person is left out of every later read."""
    from steward.governance.rights.actions import restrict as restrict_subject
    from steward.store import ResearchStore

    with user_errors(), desk(workspace, as_user) as d, ResearchStore.open(d.workspace) as store:
        restrict_subject(d.session, d.actor, store, reference, reason=reason)
        out.print(f"{reference}: restricted.")


@app.command(name="object")
def object_(
    reference: Ref,
    as_user: AsOption,
    compelling_grounds: Annotated[
        str | None, typer.Option(help="DPO's compelling grounds (objection not upheld).")
    ] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Uphold an objection (flag the person) unless compelling grounds are recorded."""
    from steward.governance.rights.actions import object_to_processing
    from steward.store import ResearchStore

    with user_errors(), desk(workspace, as_user) as d, ResearchStore.open(d.workspace) as store:
        action = object_to_processing(d.session, d.actor, store, reference,
                                      compelling_grounds=compelling_grounds)  # fmt: skip
        out.print(f"{reference}: {action.kind.replace('_', ' ')}.")


@app.command()
def erase(
    reference: Ref,
    as_user: AsOption,
    research_exemption: Annotated[
        str | None, typer.Option(help="DPO's reasoning if the research exemption applies.")
    ] = None,
    shred_landing: Annotated[bool, typer.Option(help="Crypto-shred the landed files.")] = False,
    archive_built: Annotated[bool, typer.Option(help="An archive was already built.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Erase the person from the store, quarantine and outputs (or record the exemption)."""
    from steward.governance.rights.erasure import erase as erase_subject

    with user_errors(), desk(workspace, as_user) as d:
        action = erase_subject(d.session, d.actor, d.keys, d.workspace, reference,
                               research_exemption=research_exemption, shred_landing=shred_landing,
                               archive_built=archive_built)  # fmt: skip
        out.print(f"{reference}: {action.kind}: {json.dumps(action.summary)}")


@app.command()
def refuse(
    reference: Ref,
    as_user: AsOption,
    grounds: Annotated[str, typer.Option(help="unfounded or excessive.")],
    reason: Annotated[str, typer.Option(help="Why, in plain words.")],
    fee_pence: Annotated[int | None, typer.Option(help="Charge this fee instead.")] = None,
    letter: Annotated[Path | None, typer.Option(help="Write the refusal letter here.")] = None,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Refuse a manifestly unfounded or excessive request (or ask a reasonable fee)."""
    from steward.governance.rights.outcomes import refusal_letter
    from steward.governance.rights.outcomes import refuse as refuse_request
    from steward.policy import default_registry

    with user_errors(), desk(workspace, as_user) as d:
        request = refuse_request(d.session, d.actor, reference, grounds=grounds, reason=reason,
                                 on=_date(on), fee_pence=fee_pence)  # fmt: skip
        if letter is not None and request.status == "refused":
            letter.write_text(refusal_letter(request, complaints=default_registry().complaints))
        out.print(f"{reference}: {request.status}.")


@app.command()
def close(
    reference: Ref,
    as_user: AsOption,
    outcome: Annotated[str, typer.Option(help="completed, not_held, refused_exemption, …")],
    reason: Annotated[str, typer.Option(help="Needed for refusals and exemptions.")] = "",
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Close a request with its outcome."""
    from steward.governance.rights.outcomes import close_request

    with user_errors(), desk(workspace, as_user) as d:
        close_request(d.session, d.actor, reference, outcome=outcome, on=_date(on), reason=reason)
        out.print(f"{reference}: closed ({outcome}).")


@app.command()
def reminders(as_user: AsOption, workspace: WorkspaceOption = Path(".")) -> None:
    """Requests needing attention: red, amber, paused or waiting for an LA."""
    from steward.governance.rights.reporting import reminders as due

    with user_errors(), desk(workspace, as_user) as d:
        table = Table("Reference", "Due", "Days left", "RAG", "Note")
        for r in due(d.session, d.actor, today=dt.date.today()):
            table.add_row(r.reference, r.due_on.isoformat(), str(r.days_left), r.rag.value, r.note)
        out.print(table)


@app.command()
def stats(
    as_user: AsOption,
    output: Annotated[Path | None, typer.Option("--out", help="Write JSON here.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Accountability statistics (no personal data): counts by right, % on time, outcomes."""
    from steward.governance.rights.reporting import accountability_statistics

    with user_errors(), desk(workspace, as_user) as d:
        figures = accountability_statistics(d.session, d.actor, today=dt.date.today())
        text = json.dumps(figures, indent=2)
        if output is not None:
            output.write_text(text + "\n", encoding="utf-8")
        out.print(text)
