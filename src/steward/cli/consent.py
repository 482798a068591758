"""``steward consent``: participants, versioned consent, qualitative data and transcription.

Acts as a named user (``--as``; password prompted) with the ``consent.manage`` permission.
Contact details are prompted for and sealed; recordings and transcripts are stored encrypted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from steward.cli.common import AsOption, WorkspaceOption, user_errors
from steward.cli.rights import OnOption, _date, desk

app = typer.Typer(
    name="consent",
    help="Research participants, consent, interview data and transcription hand-offs.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
Participant = Annotated[str, typer.Argument(help="Participant reference, e.g. P-00001.")]
Activity = Annotated[
    str, typer.Option(help="interview, observation, focus_group, survey or contact.")
]


@app.command(name="add-text")
def add_text(
    activity: Activity,
    text_file: Annotated[Path, typer.Option("--text", help="File with the consent wording.")],
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Add a new version of the consent wording for an activity."""
    from steward.governance.consent.service import add_consent_text

    with user_errors(), desk(workspace, as_user) as d:
        row = add_consent_text(
            d.session, d.actor, activity=activity, text=text_file.read_text(encoding="utf-8")
        )
        out.print(f"{activity} consent text version {row.version}.")


@app.command()
def register(
    kind: Annotated[str, typer.Option(help="child, parent_guardian or professional.")],
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Register a participant (contact details prompted, then sealed)."""
    from steward.governance.consent.service import QualitativeVault, register_participant

    with user_errors(), desk(workspace, as_user) as d:
        contact = {
            "name": typer.prompt("Name"),
            "contact": typer.prompt("E-mail or phone"),
        }
        vault = QualitativeVault.for_workspace(d.workspace)
        person = register_participant(d.session, d.actor, vault, kind=kind, contact=contact)
        out.print(f"Registered {person.reference}.")


@app.command()
def give(
    participant: Participant,
    activity: Activity,
    as_user: AsOption,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Record consent to an activity under the latest consent text."""
    from steward.governance.consent.service import give_consent

    with user_errors(), desk(workspace, as_user) as d:
        consent = give_consent(d.session, d.actor, participant, activity=activity, on=_date(on))
        out.print(f"{participant}: consent to {activity} (text v{consent.text.version}).")


@app.command()
def withdraw(
    participant: Participant,
    activity: Activity,
    as_user: AsOption,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Withdraw consent: no further use, and that activity's data is deleted now."""
    from steward.governance.consent.service import QualitativeVault, withdraw_consent

    with user_errors(), desk(workspace, as_user) as d:
        vault = QualitativeVault.for_workspace(d.workspace)
        deleted = withdraw_consent(
            d.session, d.actor, vault, participant, activity=activity, on=_date(on)
        )
        out.print(
            f"{participant}: consent to {activity} withdrawn; {len(deleted)} item(s) deleted."
        )


@app.command()
def store(
    participant: Participant,
    activity: Activity,
    kind: Annotated[str, typer.Option(help="recording, transcript, notes or survey_response.")],
    file: Annotated[Path, typer.Option(help="The file to store (kept encrypted).")],
    as_user: AsOption,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Store a recording, transcript, note or survey response encrypted (needs consent)."""
    from steward.governance.consent.service import QualitativeVault, store_item

    with user_errors(), desk(workspace, as_user) as d:
        vault = QualitativeVault.for_workspace(d.workspace)
        item = store_item(d.session, d.actor, vault, participant, activity=activity, kind=kind,
                          content=file.read_bytes(), collected_on=_date(on))  # fmt: skip
        out.print(f"Stored item {item.id}. Delete your unencrypted copy of {file.name}.")


@app.command(name="send-transcription")
def send_transcription(
    item: Annotated[int, typer.Argument(help="Item id of the recording.")],
    as_user: AsOption,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Record that a recording was sent to the transcription service."""
    from steward.governance.consent.service import hand_off_for_transcription

    with user_errors(), desk(workspace, as_user) as d:
        handoff = hand_off_for_transcription(d.session, d.actor, item, sent_on=_date(on))
        out.print(f"Hand-off {handoff.id} recorded.")


@app.command(name="transcription-done")
def transcription_done(
    handoff: Annotated[int, typer.Argument(help="Hand-off id.")],
    as_user: AsOption,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Record completion; the service's copy falls due for deletion 7 days later."""
    from steward.governance.consent.service import transcription_completed

    with user_errors(), desk(workspace, as_user) as d:
        row = transcription_completed(d.session, d.actor, handoff, completed_on=_date(on))
        out.print(f"Hand-off {handoff}: deletion at the service due {row.deletion_due_on}.")


@app.command(name="transcription-deleted")
def transcription_deleted(
    handoff: Annotated[int, typer.Argument(help="Hand-off id.")],
    as_user: AsOption,
    on: OnOption = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Record the transcription service's confirmation that its copy was deleted."""
    from steward.governance.consent.service import confirm_transcription_deletion

    with user_errors(), desk(workspace, as_user) as d:
        confirm_transcription_deletion(d.session, d.actor, handoff, confirmed_on=_date(on))
        out.print(f"Hand-off {handoff}: deletion confirmed.")


@app.command()
def reminders(as_user: AsOption, workspace: WorkspaceOption = Path(".")) -> None:
    """Transcription copies whose deletion is due and not yet confirmed."""
    from steward.governance.consent.service import transcription_reminders

    with user_errors(), desk(workspace, as_user) as d:
        table = Table("Hand-off", "Item", "Completed", "Deletion due")
        for h in transcription_reminders(d.session, d.actor, today=dt.date.today()):
            table.add_row(str(h.id), str(h.item_id), str(h.completed_on), str(h.deletion_due_on))
        out.print(table)


@app.command(name="list")
def list_(as_user: AsOption, workspace: WorkspaceOption = Path(".")) -> None:
    """Participants and their current consents (no contact details)."""
    from steward.governance.consent.service import list_participants

    with user_errors(), desk(workspace, as_user) as d:
        table = Table("Participant", "Kind", "Consents", "Contact held")
        for p in list_participants(d.session, d.actor):
            current = ", ".join(c.activity for c in p.consents if c.withdrawn_on is None)
            table.add_row(p.reference, p.kind, current or "-",
                          "no" if p.contact_sealed is None else "yes")  # fmt: skip
        out.print(table)
