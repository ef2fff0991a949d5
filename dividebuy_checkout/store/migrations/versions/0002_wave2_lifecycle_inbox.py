"""Checkout lifecycle columns, the audit's actor, and the shop-platform inbox and outbox.

- ``dividebuy_checkouts``: ``open_at_dividebuy`` (NULL on old rows means "ask DivideBuy once
  more"), ``not_found_count`` (0 on old rows, by its server default), ``applicant_mismatch``;
- ``dividebuy_transitions.actor``: who made a change when a person did;
- ``dividebuy_platform_events`` (inbox) and ``dividebuy_platform_writes`` (outbox);
- ``dividebuy_work_claims``: which run does which piece of periodic work (store/claims.py).

Only columns are added and tables created: no row is rewritten.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2, asdecimal=True)


def upgrade() -> None:
    with op.batch_alter_table("dividebuy_checkouts") as batch:
        batch.add_column(sa.Column("open_at_dividebuy", sa.Boolean, nullable=True))
        batch.add_column(
            sa.Column("not_found_count", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("applicant_mismatch", sa.Text, nullable=True))
    with op.batch_alter_table("dividebuy_transitions") as batch:
        batch.add_column(sa.Column("actor", sa.String(64), nullable=True))
    op.create_table(
        "dividebuy_platform_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("delivery_id", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("delivered_on", sa.Date, nullable=True),
        sa.Column("platform_ref", sa.String(200), nullable=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("refund_id", sa.Integer, nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "event_key", name="uq_dividebuy_platform_event_key"),
        sa.UniqueConstraint("platform", "delivery_id", name="uq_dividebuy_platform_delivery"),
    )
    op.create_index(
        "ix_dividebuy_platform_events_order_id", "dividebuy_platform_events", ["order_id"]
    )
    op.create_index("ix_dividebuy_platform_events_status", "dividebuy_platform_events", ["status"])
    op.create_table(
        "dividebuy_platform_writes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "order_id", "trigger", name="uq_dividebuy_platform_write"),
    )
    op.create_index(
        "ix_dividebuy_platform_writes_order_id", "dividebuy_platform_writes", ["order_id"]
    )
    op.create_index("ix_dividebuy_platform_writes_status", "dividebuy_platform_writes", ["status"])

    op.create_table(
        "dividebuy_work_claims",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("item_key", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dividebuy_work_claims")
    op.drop_table("dividebuy_platform_writes")
    op.drop_table("dividebuy_platform_events")
    with op.batch_alter_table("dividebuy_transitions") as batch:
        batch.drop_column("actor")
    with op.batch_alter_table("dividebuy_checkouts") as batch:
        batch.drop_column("applicant_mismatch")
        batch.drop_column("not_found_count")
        batch.drop_column("open_at_dividebuy")
