"""The accounting-connections area's tables (placeholder until that area lands; it creates nothing yet).

Revision ID: 0006
Revises: 0005
"""

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
