"""The accounting-connections area: a creditor's connection to QuickBooks Online or Xero.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

Written out in full, every constraint named (see 0001). A store test checks that the
migrations and the models describe the same schema. The tokens are stored encrypted by the
application (Fernet); the columns hold the ciphertext.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scopes", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customers_changed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoices_changed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credit_notes_changed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payments_changed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.ForeignKeyConstraint(
            ["creditor_id"], ["creditors.id"], name=op.f("fk_connections_creditor_id_creditors")
        ),
        sa.UniqueConstraint("creditor_id", "provider", name=op.f("uq_connections_creditor_id_provider")),
        sa.CheckConstraint("provider IN ('quickbooks', 'xero')", name=op.f("ck_connections_provider")),
        sa.CheckConstraint(
            "status IN ('active', 'needs_reconnect', 'disconnected')", name=op.f("ck_connections_status")
        ),
    )


def downgrade() -> None:
    op.drop_table("connections")
