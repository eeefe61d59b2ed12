"""The mailbox area: messages that arrived in a creditor's intake mailbox and what became of each.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Written out in full, every constraint named (see 0001). A store test checks that the
migrations and the models describe the same schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_and_creditor(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f(f"fk_{table}_creditor_id_creditors")
        ),
    ]


def _within_creditor(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["creditor_id", column],
        [f"{parent}.creditor_id", f"{parent}.id"],
        name=op.f(f"fk_{table}_creditor_id_{column}_{parent}"),
    )


def upgrade() -> None:
    op.create_table(
        "mailbox_messages",
        *_id_and_creditor("mailbox_messages"),
        sa.Column("message_key", sa.String(255), nullable=False),
        sa.Column("internet_message_id", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("mailbox", sa.String(500), nullable=False),
        sa.Column("source_ref", sa.String(255), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_mailbox_messages_creditor_id_id")),
        sa.UniqueConstraint(
            "creditor_id", "message_key", name=op.f("uq_mailbox_messages_creditor_id_message_key")
        ),
        sa.CheckConstraint("source IN ('maildir', 'imap')", name=op.f("ck_mailbox_messages_source")),
        sa.CheckConstraint(
            "status IN ('taken', 'ignored', 'malformed')", name=op.f("ck_mailbox_messages_status")
        ),
    )
    op.create_index(
        op.f("ix_mailbox_messages_creditor_id_received_at"),
        "mailbox_messages",
        ["creditor_id", "received_at"],
    )
    op.create_table(
        "mailbox_attachments",
        *_id_and_creditor("mailbox_attachments"),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("keyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("keyed_by", sa.String(200), nullable=True),
        _within_creditor("mailbox_attachments", "message_id", "mailbox_messages"),
        _within_creditor("mailbox_attachments", "import_id", "imports"),
        sa.UniqueConstraint(
            "message_id", "position", name=op.f("uq_mailbox_attachments_message_id_position")
        ),
        sa.CheckConstraint(
            "kind IN ('csv', 'xlsx', 'pdf', 'other')", name=op.f("ck_mailbox_attachments_kind")
        ),
        sa.CheckConstraint(
            "outcome IN ('imported', 'rejected', 'to_key', 'keyed', 'ignored')",
            name=op.f("ck_mailbox_attachments_outcome"),
        ),
        sa.CheckConstraint(
            "outcome NOT IN ('to_key', 'keyed') OR content IS NOT NULL",
            name=op.f("ck_mailbox_attachments_pdf_kept"),
        ),
        sa.CheckConstraint(
            "(outcome = 'keyed') = (keyed_at IS NOT NULL)", name=op.f("ck_mailbox_attachments_keyed_when")
        ),
    )
    op.create_index(
        op.f("ix_mailbox_attachments_creditor_id_outcome"),
        "mailbox_attachments",
        ["creditor_id", "outcome"],
    )
    op.create_table(
        "mailbox_cursors",
        *_id_and_creditor("mailbox_cursors"),
        sa.Column("mailbox", sa.String(500), nullable=False),
        sa.Column("position", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("creditor_id", "mailbox", name=op.f("uq_mailbox_cursors_creditor_id_mailbox")),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mailbox_attachments_creditor_id_outcome"), table_name="mailbox_attachments")
    op.drop_index(op.f("ix_mailbox_messages_creditor_id_received_at"), table_name="mailbox_messages")
    for table in ("mailbox_cursors", "mailbox_attachments", "mailbox_messages"):
        op.drop_table(table)
