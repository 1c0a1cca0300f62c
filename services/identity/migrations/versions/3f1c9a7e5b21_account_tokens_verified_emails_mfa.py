"""identity: verified emails, account tokens, TOTP MFA, workspaces requiring MFA

Revision ID: 3f1c9a7e5b21
Revises: ed0c8d2900a6
Create Date: 2026-12-04 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3f1c9a7e5b21"
down_revision: str | None = "ed0c8d2900a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        schema="identity",
    )
    op.add_column("users", sa.Column("mfa_secret", sa.String(64), nullable=True), schema="identity")
    op.add_column(
        "users",
        sa.Column("mfa_enabled_at", sa.DateTime(timezone=True), nullable=True),
        schema="identity",
    )
    op.add_column(
        "users", sa.Column("mfa_last_step", sa.BigInteger(), nullable=True), schema="identity"
    )
    # Accounts made by an OIDC login were verified by the provider.
    op.execute(
        """
        UPDATE identity.users u SET email_verified_at = u.created_at
        WHERE EXISTS (SELECT 1 FROM identity.user_identities i WHERE i.user_id = u.id)
        """
    )
    op.drop_constraint("uq_users_email", "users", schema="identity", type_="unique")
    op.create_index("ix_users_email", "users", ["email"], schema="identity")
    op.create_index(
        "uq_users_verified_email",
        "users",
        ["email"],
        unique=True,
        schema="identity",
        postgresql_where=sa.text("email_verified_at IS NOT NULL"),
    )
    op.create_index(
        "uq_users_password_email",
        "users",
        ["email"],
        unique=True,
        schema="identity",
        postgresql_where=sa.text("password_hash IS NOT NULL"),
    )
    op.add_column(
        "workspaces",
        sa.Column("require_mfa", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="identity",
    )
    op.create_table(
        "account_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity.users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_account_tokens")),
        schema="identity",
    )
    op.create_index(
        op.f("ix_identity_account_tokens_user_id"),
        "account_tokens",
        ["user_id"],
        schema="identity",
    )
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity.users.id"],
            name=op.f("fk_mfa_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "code_hash", name=op.f("pk_mfa_recovery_codes")),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("mfa_recovery_codes", schema="identity")
    op.drop_index(
        op.f("ix_identity_account_tokens_user_id"), table_name="account_tokens", schema="identity"
    )
    op.drop_table("account_tokens", schema="identity")
    op.drop_column("workspaces", "require_mfa", schema="identity")
    op.drop_index("uq_users_password_email", table_name="users", schema="identity")
    op.drop_index("uq_users_verified_email", table_name="users", schema="identity")
    op.drop_index("ix_users_email", table_name="users", schema="identity")
    op.create_unique_constraint("uq_users_email", "users", ["email"], schema="identity")
    for column in ("mfa_last_step", "mfa_enabled_at", "mfa_secret", "email_verified_at"):
        op.drop_column("users", column, schema="identity")
