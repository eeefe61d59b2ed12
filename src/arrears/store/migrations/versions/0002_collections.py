"""The collections area's tables (placeholder until that area lands; it creates nothing yet).

Revision ID: 0002
Revises: 0001
"""

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
