"""known budgets: the last BudgetChanged of each budget, for the guardrail while cost
cannot be asked

Revision ID: c3f1b2d4e5a6
Revises: a6a8db21a378
Create Date: 2026-12-04 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c3f1b2d4e5a6'
down_revision: str | None = 'a6a8db21a378'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'known_budgets',
        sa.Column('budget_id', sa.Uuid(), nullable=False),
        sa.Column('workspace_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('scope_value', sa.String(length=320), nullable=True),
        sa.Column('fail_closed', sa.Boolean(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('budget_id', name=op.f('pk_known_budgets')),
        schema='provisioning',
    )
    op.create_index(
        op.f('ix_known_budgets_workspace_id'),
        'known_budgets',
        ['workspace_id'],
        unique=False,
        schema='provisioning',
    )


def downgrade() -> None:
    op.drop_index(
        op.f('ix_known_budgets_workspace_id'), table_name='known_budgets', schema='provisioning'
    )
    op.drop_table('known_budgets', schema='provisioning')
