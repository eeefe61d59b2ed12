"""The intake area's tables (placeholder until that area lands; it creates nothing yet).

Revision ID: 0005
Revises: 0004
"""

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
