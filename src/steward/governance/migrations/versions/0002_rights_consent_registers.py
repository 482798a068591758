"""Rights requests, their pauses and actions, erasure tombstones; complaints, disclosures and
breach registers; participants, consent, qualitative items and transcription hand-offs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("approx_people", sa.Integer(), nullable=False),
        sa.Column("approx_records", sa.Integer(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("notify_ico", sa.Boolean(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("ico_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ico_reference", sa.String(length=60), nullable=True),
        sa.Column("late_reason", sa.Text(), nullable=True),
        sa.Column("notify_people", sa.Boolean(), nullable=True),
        sa.Column("people_reason", sa.Text(), nullable=True),
        sa.Column("people_notified_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
        sa.UniqueConstraint("reference", name=op.f("uq_breaches_reference")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("request_reference", sa.String(length=20), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=True),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("outcome_summary", sa.Text(), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("ico_route_given", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaints_reference")),
    )
    op.create_table(
        "consent_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_texts")),
    )
    op.create_table(
        "disclosures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("disclosed_on", sa.Date(), nullable=False),
        sa.Column("pseudonyms", sa.JSON(), nullable=False),
        sa.Column("request_reference", sa.String(length=20), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
        sa.UniqueConstraint("reference", name=op.f("uq_disclosures_reference")),
    )
    op.create_table(
        "erasure_tombstones",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("request_reference", sa.String(length=20), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_erasure_tombstones")),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("la_code", sa.String(length=9), nullable=True),
        sa.Column("child_pid", sa.String(length=64), nullable=True),
        sa.Column("contact_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("contact_key", sa.LargeBinary(), nullable=True),
        sa.Column("contact_deleted_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
        sa.UniqueConstraint("reference", name=op.f("uq_participants_reference")),
    )
    op.create_index(op.f("ix_participants_child_pid"), "participants", ["child_pid"], unique=False)
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("rights", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("requester_relationship", sa.String(length=20), nullable=False),
        sa.Column("authority_status", sa.String(length=20), nullable=False),
        sa.Column("identity_status", sa.String(length=20), nullable=False),
        sa.Column("identity_evidence_ref", sa.String(length=120), nullable=True),
        sa.Column("requester_digest", sa.String(length=64), nullable=False),
        sa.Column("requester_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("requester_key", sa.LargeBinary(), nullable=True),
        sa.Column("la_code", sa.String(length=9), nullable=True),
        sa.Column("child_pid", sa.String(length=64), nullable=True),
        sa.Column("locate_status", sa.String(length=20), nullable=False),
        sa.Column("la_answer", sa.Text(), nullable=True),
        sa.Column("la_answered_on", sa.Date(), nullable=True),
        sa.Column("child_holds_right", sa.Boolean(), nullable=False),
        sa.Column("child_consent_status", sa.String(length=30), nullable=True),
        sa.Column("extension_months", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extension_told_on", sa.Date(), nullable=True),
        sa.Column("fee_pence", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("duplicate_of", sa.String(length=20), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_rights_requests_reference")),
    )
    op.create_index(
        op.f("ix_rights_requests_child_pid"), "rights_requests", ["child_pid"], unique=False
    )
    op.create_index(
        op.f("ix_rights_requests_requester_digest"),
        "rights_requests",
        ["requester_digest"],
        unique=False,
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=20), nullable=False),
        sa.Column("text_id", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_consents_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["text_id"], ["consent_texts.id"], name=op.f("fk_consents_text_id_consent_texts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(
        op.f("ix_consents_participant_id"), "consents", ["participant_id"], unique=False
    )
    op.create_table(
        "qualitative_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("deleted_on", sa.Date(), nullable=True),
        sa.Column("deletion_reason", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_qualitative_items_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualitative_items")),
    )
    op.create_index(
        op.f("ix_qualitative_items_participant_id"),
        "qualitative_items",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "rights_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_rights_actions_request_id_rights_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_actions")),
    )
    op.create_index(
        op.f("ix_rights_actions_request_id"), "rights_actions", ["request_id"], unique=False
    )
    op.create_table(
        "rights_request_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_rights_request_pauses_request_id_rights_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_request_pauses")),
    )
    op.create_index(
        op.f("ix_rights_request_pauses_request_id"),
        "rights_request_pauses",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "transcription_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("deletion_due_on", sa.Date(), nullable=True),
        sa.Column("deletion_confirmed_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["qualitative_items.id"],
            name=op.f("fk_transcription_handoffs_item_id_qualitative_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcription_handoffs")),
    )
    op.create_index(
        op.f("ix_transcription_handoffs_item_id"),
        "transcription_handoffs",
        ["item_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_transcription_handoffs_item_id"), table_name="transcription_handoffs")
    op.drop_table("transcription_handoffs")
    op.drop_index(op.f("ix_rights_request_pauses_request_id"), table_name="rights_request_pauses")
    op.drop_table("rights_request_pauses")
    op.drop_index(op.f("ix_rights_actions_request_id"), table_name="rights_actions")
    op.drop_table("rights_actions")
    op.drop_index(op.f("ix_qualitative_items_participant_id"), table_name="qualitative_items")
    op.drop_table("qualitative_items")
    op.drop_index(op.f("ix_consents_participant_id"), table_name="consents")
    op.drop_table("consents")
    op.drop_index(op.f("ix_rights_requests_requester_digest"), table_name="rights_requests")
    op.drop_index(op.f("ix_rights_requests_child_pid"), table_name="rights_requests")
    op.drop_table("rights_requests")
    op.drop_index(op.f("ix_participants_child_pid"), table_name="participants")
    op.drop_table("participants")
    op.drop_table("erasure_tombstones")
    op.drop_table("disclosures")
    op.drop_table("consent_texts")
    op.drop_table("complaints")
    op.drop_table("breaches")
