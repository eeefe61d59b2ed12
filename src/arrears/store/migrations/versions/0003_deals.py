"""The deals area's tables (placeholder until that area lands; it creates nothing yet).

Revision ID: 0003
Revises: 0002
"""

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
