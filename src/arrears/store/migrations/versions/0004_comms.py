"""The comms area's tables (placeholder until that area lands; it creates nothing yet).

Revision ID: 0004
Revises: 0003
"""

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
