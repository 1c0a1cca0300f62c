"""identity: room for a sealed TOTP secret

Secrets stored before are base32 in the clear; identity seals each under the active
key the next time it is used (it holds the keys, a migration does not).

Revision ID: 8b2e4f6a1c3d
Revises: 3f1c9a7e5b21
Create Date: 2026-12-04 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b2e4f6a1c3d"
down_revision: str | None = "3f1c9a7e5b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "users",
        "mfa_secret",
        type_=sa.String(256),
        existing_type=sa.String(64),
        existing_nullable=True,
        schema="identity",
    )


def downgrade() -> None:
    # A sealed secret does not fit the old width, and dropping it would turn MFA off
    # unasked: refuse while any is stored.
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM identity.users WHERE mfa_secret LIKE '%:%')"
        " THEN RAISE EXCEPTION 'sealed MFA secrets are stored: disable MFA on those"
        " accounts before downgrading'; END IF; END $$"
    )
    op.alter_column(
        "users",
        "mfa_secret",
        type_=sa.String(64),
        existing_type=sa.String(256),
        existing_nullable=True,
        schema="identity",
    )
