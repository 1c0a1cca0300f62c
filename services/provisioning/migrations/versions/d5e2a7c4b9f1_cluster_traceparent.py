"""cluster traceparent: the trace of the work that last moved a cluster's saga, which a
run the sweep resumes continues

Revision ID: d5e2a7c4b9f1
Revises: c3f1b2d4e5a6
Create Date: 2026-12-04 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd5e2a7c4b9f1'
down_revision: str | None = 'c3f1b2d4e5a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'clusters',
        sa.Column('traceparent', sa.String(length=55), nullable=True),
        schema='provisioning',
    )


def downgrade() -> None:
    op.drop_column('clusters', 'traceparent', schema='provisioning')
