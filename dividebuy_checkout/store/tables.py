"""The SQL tables (SQLAlchemy Core). One place for the database's shape.

Every table is on the one :data:`metadata`, so ``metadata.create_all`` (and a
migration tool reading it) sees the whole schema.

``checkouts.live_order_id`` equals ``order_id`` while the checkout is live and
is NULL once it is superseded; a unique constraint on it holds *one live quote
per order* in every database (NULLs never collide), without partial indexes.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "MONEY",
    "checkouts",
    "metadata",
    "platform_events",
    "platform_writes",
    "refunds",
    "settlements",
    "transitions",
    "work_claims",
]

metadata = MetaData()

MONEY = Numeric(12, 2, asdecimal=True)

checkouts = Table(
    "dividebuy_checkouts",
    metadata,
    Column("quote_id", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("order_ref", String(64), nullable=False),
    Column("live_order_id", String(64), nullable=True),
    Column("amount", MONEY, nullable=False),
    Column("credit_amount", MONEY, nullable=False),
    Column("term", Integer, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("decision", String(32), nullable=True),
    Column("checkout_url", Text, nullable=True),
    # DivideBuy's own order id (quote.order_ref_id), known once the quote completes
    Column("dividebuy_order_id", String(64), nullable=True),
    Column("hold_reason", Text, nullable=True),
    # The random reference the signed return URL carries: the quote id does not exist yet
    # when order.redirect_url is sent, so the return is matched to its quote by this.
    Column("return_ref", String(64), nullable=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # True while DivideBuy may still complete the quote although the shop has moved on
    # (replaced, cancelled in the shop, expired locally): reconcile keeps reading it until
    # DivideBuy reports it final, so a late signature is caught and put on hold. NULL
    # (rows from before this column) is read as "ask DivideBuy once more".
    Column("open_at_dividebuy", Boolean, nullable=True),
    # consecutive 404s from GET /quotes/{id}: past DIVIDEBUY_QUOTE_NOT_FOUND_LIMIT it is orphaned
    Column("not_found_count", Integer, nullable=False, server_default="0"),
    # why the applicant may not be the buyer (surname or postcode differ from the order's
    # billing details), decided at submit time; the application itself is never stored
    Column("applicant_mismatch", Text, nullable=True),
    UniqueConstraint("live_order_id", name="uq_dividebuy_one_live_quote_per_order"),
)

#: every status change, timestamped: the audit trail
transitions = Table(
    "dividebuy_transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "quote_id",
        String(64),
        ForeignKey("dividebuy_checkouts.quote_id"),
        nullable=False,
        index=True,
    ),
    Column("from_status", String(32), nullable=True),
    Column("to_status", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    # who made the change when a person did (resolve-hold: "cli:alice", "api-key"), else NULL
    Column("actor", String(64), nullable=True),
)

#: one row per settled (or being settled) order: the ledger's settlement side
settlements = Table(
    "dividebuy_settlements",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("quote_id", String(64), nullable=False),
    Column("dividebuy_order_id", String(64), nullable=False),
    Column("delivered_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=True),
)

refunds = Table(
    "dividebuy_refunds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("quote_id", String(64), nullable=False),
    #: what was reserved (for a full refund: all that was left at the time)
    Column("amount", MONEY, nullable=False),
    #: asked for "all that is left" (sent to DivideBuy without an amount)
    Column("full", Boolean, nullable=False),
    Column("status", String(24), nullable=False, index=True),
    Column("dividebuy_refund_id", String(64), nullable=True),
    Column("refund_type", String(16), nullable=True),
    #: why it failed or is unknown, or the operator's note; never bank details or tokens
    Column("note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: shop-platform events (the inbox): one row per action a platform's webhook or poll asked
#: for, unique per platform and action key, so a redelivery is a duplicate. No request body
#: is stored (platform bodies carry names and addresses). ``lease_*`` let many hosts run
#: ``events process`` at once: a row is worked on by the holder of an unexpired lease.
platform_events = Table(
    "dividebuy_platform_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("event_key", String(200), nullable=False),
    Column("delivery_id", String(200), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("order_id", String(64), nullable=False, index=True),
    Column("amount", MONEY, nullable=True),
    Column("delivered_on", Date, nullable=True),
    Column("platform_ref", String(200), nullable=True),
    Column("status", String(24), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("note", String(500), nullable=True),
    Column("refund_id", Integer, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "event_key", name="uq_dividebuy_platform_event_key"),
    UniqueConstraint("platform", "delivery_id", name="uq_dividebuy_platform_delivery"),
)

#: status write-backs to a shop platform (the outbox): one row per order and trigger
platform_writes = Table(
    "dividebuy_platform_writes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("order_id", String(64), nullable=False, index=True),
    Column("trigger", String(32), nullable=False),
    Column("value", String(200), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "order_id", "trigger", name="uq_dividebuy_platform_write"),
)

#: who is doing which piece of periodic work (a reconcile of one quote, …) so the same job run
#: on every host at once does each piece once: see :mod:`.claims`. One row per kind and key,
#: reused by later runs; ``claimed_at`` is the database's clock on PostgreSQL.
work_claims = Table(
    "dividebuy_work_claims",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("item_key", String(200), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
)
