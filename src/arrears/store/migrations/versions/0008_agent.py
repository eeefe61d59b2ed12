"""The sync-agent area: upload tokens per creditor and the files the agents uploaded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

Written out in full, every constraint named (see 0001). A store test checks that the
migrations and the models describe the same schema. Tokens are stored as their SHA-256 only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
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
        "upload_tokens",
        *_id_and_creditor("upload_tokens"),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("key_id", name=op.f("uq_upload_tokens_key_id")),
        sa.UniqueConstraint("creditor_id", "id", name=op.f("uq_upload_tokens_creditor_id_id")),
    )
    op.create_table(
        "agent_uploads",
        *_id_and_creditor("agent_uploads"),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        _within_creditor("agent_uploads", "token_id", "upload_tokens"),
        _within_creditor("agent_uploads", "import_id", "imports"),
        sa.UniqueConstraint(
            "creditor_id", "idempotency_key", name=op.f("uq_agent_uploads_creditor_id_idempotency_key")
        ),
        sa.CheckConstraint("mode IN ('full', 'part')", name=op.f("ck_agent_uploads_mode")),
        sa.CheckConstraint(
            "status IN ('applied', 'partial', 'rejected', 'unchanged', 'failed')",
            name=op.f("ck_agent_uploads_status"),
        ),
    )
    op.create_index(
        op.f("ix_agent_uploads_creditor_id_content_hash"), "agent_uploads", ["creditor_id", "content_hash"]
    )


def downgrade() -> None:
    op.drop_table("agent_uploads")
    op.drop_table("upload_tokens")
