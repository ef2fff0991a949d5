"""Claims on periodic work, so a job run on every host at once does each piece of it once.

A shop with several hosts puts the same cron lines on each (``reconcile`` …): the runs overlap.
Each run opens a :class:`ClaimRound` and claims the items it is about to work on (a quote id …)
in small batches, in one atomic statement per batch — an ``INSERT … ON CONFLICT DO UPDATE …
WHERE`` on ``dividebuy_work_claims``: on PostgreSQL the row lock makes concurrent claims of one
key wait and then see each other's; on SQLite the write lock (``BEGIN IMMEDIATE``) serialises
them. An item is taken by a round when

- nobody holds an unexpired lease on it (a run working on it now, or one that crashed less
  than :data:`DEFAULT_LEASE` ago), **and**
- nobody claimed it since this round started (a run overlapping this one already did it: doing
  it again would repeat the same call with nothing new to learn).

So overlapping runs split the work between them. A finished item is released
(:meth:`ClaimRound.done`); another process leaves it alone for :data:`DEFAULT_QUIET` after
that: the same cron line on several hosts starts its runs a few seconds apart (clocks, process
start-up), and a run that begins just after another host finished an item must not ask again
with nothing new to learn. The process that did it may start its next round at once (an
operator, or a test, running ``reconcile`` twice); any run after the quiet period is the next
round and does the item again.

Times are the database's clock on PostgreSQL (hosts' clocks may disagree), the local clock on
SQLite (one host).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ..config import ConfigurationError
from ._rows import as_utc, utc_now
from .retry import ContentionPolicy, retry_on_contention
from .tables import work_claims

__all__ = [
    "CLAIM_BATCH",
    "DEFAULT_LEASE",
    "DEFAULT_QUIET",
    "SUPPORTED_ENGINES",
    "ClaimRound",
    "WorkClaims",
    "claimed",
    "default_owner",
    "round_for",
]

T = TypeVar("T")

#: how long a claim holds an item while its holder works on it; after that (the holder
#: crashed or hung) another run may take it. Longer than one item's work (one DivideBuy call,
#: bounded by the client's timeouts), short enough that a crashed run's items wait little.
DEFAULT_LEASE = timedelta(minutes=5)
#: how long a finished item is left alone: longer than the spread of one cron line's start
#: across hosts (clock skew, start-up), far shorter than any sensible cron interval
DEFAULT_QUIET = timedelta(seconds=30)
#: items claimed per statement: small, so overlapping runs interleave instead of one run
#: claiming everything up front and the others idling
CLAIM_BATCH = 10
#: the engines whose INSERT has ON CONFLICT … DO UPDATE … WHERE, which a claim is built on
#: (SQLAlchemy dialect name → that dialect's INSERT construct)
_INSERTS: dict[str, Callable[..., Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
#: the dialect names work claims run on, for messages and checks
SUPPORTED_ENGINES = tuple(_INSERTS)


_owners: dict[int, str] = {}


def default_owner() -> str:
    """Who holds a claim: host, process and a random part (logged; never a secret). One per
    process (a forked worker gets its own), so a process's next round knows its own work."""
    pid = os.getpid()
    if pid not in _owners:
        _owners[pid] = f"{socket.gethostname()[:32]}:{pid}:{uuid.uuid4().hex[:8]}"
    return _owners[pid]


class WorkClaims:
    """Claims on the work of one database (the store's engine, upgraded by its migrations)."""

    def __init__(
        self,
        engine: Engine,
        *,
        owner: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        quiet: timedelta = DEFAULT_QUIET,
        contention: ContentionPolicy | None = None,
    ) -> None:
        if engine.dialect.name not in _INSERTS:
            # refused before the job does anything: a claim that cannot be made would stop
            # the run half-way, and ignoring claims would repeat work across hosts
            raise ConfigurationError(
                f"Jobs shared between hosts (reconcile, platform poll) claim "
                f"their work with INSERT … ON CONFLICT, which the {engine.dialect.name} "
                "database named by DIVIDEBUY_DATABASE_URL does not have: use PostgreSQL or "
                "SQLite.",
                key="DIVIDEBUY_DATABASE_URL",
            )
        self.engine = engine
        self.owner = owner or default_owner()
        self.lease = lease
        self.quiet = quiet
        self.contention = contention or ContentionPolicy()

    def __repr__(self) -> str:
        return f"WorkClaims({self.engine.url.render_as_string(hide_password=True)!r})"

    def now(self) -> datetime:
        """The clock claims are compared on (PostgreSQL's own; the local one for SQLite)."""
        with self.engine.connect() as conn:
            return _now(conn)

    def round(self, kind: str) -> ClaimRound:
        """Start a round of *kind* work (``"reconcile"`` …) now."""
        return ClaimRound(self, kind, self.now())

    def holders(self, kind: str) -> dict[str, str]:
        """Who last claimed each item of *kind* (for tests and operators)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(work_claims.c.item_key, work_claims.c.owner).where(
                    work_claims.c.kind == kind
                )
            ).all()
        return {row.item_key: row.owner for row in rows}


class ClaimRound:
    """One run's claims on one kind of work, started at :attr:`started`."""

    def __init__(self, claims: WorkClaims, kind: str, started: datetime) -> None:
        self.claims = claims
        self.kind = kind
        self.started = started

    def claim(self, keys: Sequence[str]) -> list[str]:
        """Take what nobody else is doing or did during this round, of *keys*; those taken,
        in the order given. Claim at most :data:`CLAIM_BATCH` at a time."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        taken = retry_on_contention(
            lambda: self._claim(wanted), self.claims.contention, what="claim work"
        )
        return [key for key in wanted if key in taken]

    def _claim(self, keys: list[str]) -> set[str]:
        with self.claims.engine.begin() as conn:
            now = _now(conn)
            rows = [
                {
                    "kind": self.kind,
                    "item_key": key,
                    "owner": self.claims.owner,
                    "claimed_at": now,
                    "lease_until": now + self.claims.lease,
                }
                for key in keys
            ]
            insert = _insert_for(conn).values(rows)
            free = and_(
                work_claims.c.lease_until <= now,
                work_claims.c.claimed_at < self.started,
                or_(
                    work_claims.c.owner == self.claims.owner,
                    work_claims.c.lease_until <= now - self.claims.quiet,
                ),
            )
            statement = insert.on_conflict_do_update(
                index_elements=[work_claims.c.kind, work_claims.c.item_key],
                set_={
                    "owner": insert.excluded.owner,
                    "claimed_at": insert.excluded.claimed_at,
                    "lease_until": insert.excluded.lease_until,
                },
                where=free,
            ).returning(work_claims.c.item_key)
            return {row.item_key for row in conn.execute(statement)}

    def done(self, keys: Iterable[str]) -> None:
        """Release finished items: overlapping runs skip them (claimed in this round), other
        processes' runs for :attr:`WorkClaims.quiet` too; later rounds take them again."""
        keys = list(keys)
        if not keys:
            return

        def release() -> None:
            with self.claims.engine.begin() as conn:
                now = _now(conn)
                conn.execute(
                    update(work_claims)
                    .where(
                        work_claims.c.kind == self.kind,
                        work_claims.c.item_key.in_(keys),
                        work_claims.c.owner == self.claims.owner,
                    )
                    .values(lease_until=now)
                )

        retry_on_contention(release, self.claims.contention, what="release work")


def round_for(store: object, kind: str) -> ClaimRound | None:
    """A round of *kind* work on *store*'s database, started now; ``None`` for a store that is
    not SQL (a shop's own store: one process is assumed to run the job)."""
    engine = getattr(store, "engine", None)
    if not isinstance(engine, Engine):
        return None
    return WorkClaims(engine).round(kind)


def claimed(
    round_: ClaimRound | None,
    items: Sequence[T],
    key: Callable[[T], str],
    *,
    limit: int | None = None,
) -> Iterator[T]:
    """*items* in order, each only if *round_* claims it (every one without a round), at most
    *limit*. Claims go :data:`CLAIM_BATCH` at a time; each batch is released once the caller
    has worked through it (or stopped)."""
    given = 0
    start = 0
    while start < len(items) and (limit is None or given < limit):
        # never claim more than may still be worked on: an unworked claim would hold the
        # item away from overlapping runs for the rest of this round
        size = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - given)
        batch = list(items[start : start + size])
        start += size
        if round_ is None:
            taken = batch
        else:
            keys = set(round_.claim([key(item) for item in batch]))
            taken = [item for item in batch if key(item) in keys]
        try:
            for item in taken:
                given += 1
                yield item
        finally:
            if round_ is not None:
                round_.done(key(item) for item in taken)


def _insert_for(conn: Connection) -> Any:
    """The dialect's INSERT with ON CONFLICT (:class:`WorkClaims` refused any other engine)."""
    return _INSERTS[conn.dialect.name](work_claims)


def _now(conn: Connection) -> datetime:
    if conn.dialect.name == "postgresql":
        # the server's clock, not the transaction's start: claims made in one transaction
        # and rounds started on other hosts compare on one clock
        return as_utc(conn.execute(text("SELECT clock_timestamp()")).scalar_one())
    return utc_now()
