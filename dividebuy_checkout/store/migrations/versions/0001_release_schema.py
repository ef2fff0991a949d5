"""The schema of the first release with a store (commit 69a911f): checkouts, transitions, ledger.

Databases created by that release's ``metadata.create_all`` have exactly these tables, so
``db upgrade`` on one of them first *stamps* this revision (see
:func:`dividebuy_checkout.store.schema.upgrade`) and then applies only what came later.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2, asdecimal=True)


def upgrade() -> None:
    op.create_table(
        "dividebuy_checkouts",
        sa.Column("quote_id", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("order_ref", sa.String(64), nullable=False),
        sa.Column("live_order_id", sa.String(64), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("credit_amount", MONEY, nullable=False),
        sa.Column("term", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("decision", sa.String(32), nullable=True),
        sa.Column("checkout_url", sa.Text, nullable=True),
        sa.Column("dividebuy_order_id", sa.String(64), nullable=True),
        sa.Column("hold_reason", sa.Text, nullable=True),
        sa.Column("return_ref", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("live_order_id", name="uq_dividebuy_one_live_quote_per_order"),
    )
    op.create_index("ix_dividebuy_checkouts_order_id", "dividebuy_checkouts", ["order_id"])
    op.create_index("ix_dividebuy_checkouts_status", "dividebuy_checkouts", ["status"])
    op.create_table(
        "dividebuy_transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "quote_id",
            sa.String(64),
            sa.ForeignKey("dividebuy_checkouts.quote_id"),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dividebuy_transitions_quote_id", "dividebuy_transitions", ["quote_id"])
    op.create_table(
        "dividebuy_settlements",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("quote_id", sa.String(64), nullable=False),
        sa.Column("dividebuy_order_id", sa.String(64), nullable=False),
        sa.Column("delivered_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "dividebuy_refunds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("quote_id", sa.String(64), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("dividebuy_refund_id", sa.String(64), nullable=True),
        sa.Column("refund_type", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dividebuy_refunds_order_id", "dividebuy_refunds", ["order_id"])
    op.create_index("ix_dividebuy_refunds_status", "dividebuy_refunds", ["status"])


def downgrade() -> None:
    for table in (
        "dividebuy_refunds",
        "dividebuy_settlements",
        "dividebuy_transitions",
        "dividebuy_checkouts",
    ):
        op.drop_table(table)
