"""The one seam between portable ORM code and PostgreSQL's fast statements.

Each concern that has a faster PostgreSQL statement (the webhook event store, reference
look-ups, the import writers, the set-based recompute, impact medians, ...) declares one
``Seam`` with two implementations side by side: ``generic`` (the ORM, every database) and
``postgresql``. Callers use the seam and never test ``connection.vendor`` themselves::

    event_store = Seam("webhooks.event_store", generic=GenericEventStore(),
                       postgresql=PostgresEventStore())
    event_store.impl.store(...)

The implementation follows the default database's vendor; the first use in a process logs
which one runs (``db.implementation``). Tests run the same behaviour tests over both
(``seam.forced("generic")``), so their equivalence is proven where it matters.
"""

import datetime
import functools
import logging
import select
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from django.db import connections
from django.db.models import Model

logger = logging.getLogger(__name__)

T = TypeVar("T")

GENERIC = "generic"
POSTGRESQL = "postgresql"

#: Every seam declared so far, by concern (``tests/core/test_db_seams.py`` reads it).
SEAMS: dict[str, "Seam"] = {}


class Seam(Generic[T]):
    def __init__(self, concern: str, *, generic: T, postgresql: T, using: str = "default"):
        if concern in SEAMS:
            raise ValueError(f"seam {concern!r} is declared twice")
        self.concern = concern
        self.using = using
        self._implementations = {GENERIC: generic, POSTGRESQL: postgresql}
        self._forced: str | None = None
        self._logged = False
        SEAMS[concern] = self

    @property
    def name(self) -> str:
        """``postgresql`` on PostgreSQL, ``generic`` elsewhere (or what a test forced)."""
        if self._forced is not None:
            return self._forced
        return POSTGRESQL if is_postgresql(self.using) else GENERIC

    @property
    def impl(self) -> T:
        name = self.name
        if not self._logged:
            self._logged = True
            logger.info(
                "db.implementation", extra={"concern": self.concern, "implementation": name}
            )
        return self._implementations[name]

    @contextmanager
    def forced(self, name: str) -> Iterator[T]:
        """Run with one implementation whatever the database (tests; ``generic`` runs on
        PostgreSQL too, ``postgresql`` only there)."""
        if name not in self._implementations:
            raise ValueError(f"unknown implementation {name!r}")
        previous, self._forced = self._forced, name
        try:
            yield self._implementations[name]
        finally:
            self._forced = previous


def is_postgresql(using: str = "default") -> bool:
    """Whether a database is PostgreSQL; known from the settings, without connecting."""
    return connections[using].vendor == POSTGRESQL


def table(model: type[Model]) -> str:
    """A model's quoted table name, for raw statements (never a hard-coded name)."""
    return connections["default"].ops.quote_name(model._meta.db_table)


def column(model: type[Model], field_name: str) -> str:
    """A field's quoted column name, for raw statements."""
    return connections["default"].ops.quote_name(model._meta.get_field(field_name).column)


def in_model_order(model: type[Model], field_names) -> tuple[str, ...]:
    """``field_names`` (attribute names) in the model's field order: the order of the columns
    a raw statement must select for ``Model.from_db(alias, names, row)``, which assigns a
    partial row's values to the named fields in the model's order, not the names' order."""
    wanted = set(field_names)
    ordered = tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)
    if len(ordered) != len(wanted):
        raise ValueError(f"{model._meta.label} has no field among {sorted(wanted - set(ordered))}")
    return ordered


# --- The per-request connection health check ----------------------------------------------


class GenericHealthCheck:
    def settle(self, using: str = "default") -> None:
        """Nothing: Django's own check (``CONN_HEALTH_CHECKS``) runs before the first query."""


class PostgresHealthCheck:
    def settle(self, using: str = "default") -> None:
        """Settle Django's per-request health check of a reused connection without a round
        trip while its socket is quiet.

        Django checks a persistent connection with ``SELECT 1`` before a request's first
        query (its own transaction: a round trip and a commit per request). A connection
        the server ended (a restart, ``pg_terminate_backend``, an idle timeout) has its
        termination notice or end of stream waiting on the socket: then, or whenever the
        socket has anything to read, Django's ``SELECT 1`` runs as before and replaces a
        dead connection. An idle, healthy connection has nothing to read, so polling the
        socket (no I/O) answers the same question. Not detected by either: a peer that
        vanished without a word (the ``SELECT 1`` would hang like the first query).
        """
        wrapper = connections[using]
        raw = wrapper.connection
        if raw is None or not wrapper.health_check_enabled or wrapper.health_check_done:
            return
        import psycopg  # this implementation runs only on PostgreSQL

        try:
            poller = select.poll()
            poller.register(raw.pgconn.socket, select.POLLIN)
            pending = poller.poll(0)  # readable, hung up or in error: something to look at
        except (OSError, ValueError, psycopg.Error):
            return  # a closed or broken connection: Django's check decides
        if not pending:
            wrapper.health_check_done = True


#: ``health_check.impl.settle()`` where a request wants its connection checked cheaply
#: (the webhook receiver's fast path: ``webhooks.middleware``).
health_check: "Seam[GenericHealthCheck | PostgresHealthCheck]" = Seam(
    "core.health_check", generic=GenericHealthCheck(), postgresql=PostgresHealthCheck()
)


# --- timestamptz values parsed in C ---------------------------------------------------------


def use_fast_timestamptz(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver (``core.apps``): a new PostgreSQL connection loads
    ``timestamptz`` values with ``UtcTimestamptzLoader`` instead of Django's loader.

    Django's psycopg 3 backend loads every ``timestamptz`` value through a Python subclass of
    psycopg's pure-Python loader (``psycopg_any.BaseTzLoader``: the C loader cannot be
    subclassed), ~37,000 instructions a value; a 50-row page of matches holds 150 of them
    (bench/README.md, API). Only where Django's own result is an aware date-time in UTC
    (``USE_TZ`` with the database's ``TIME_ZONE`` unset: the session's zone is UTC)."""
    if connection is None or connection.vendor != POSTGRESQL:
        return
    if connection.timezone is not datetime.UTC or connection.connection is None:
        return
    connection.connection.adapters.register_loader("timestamptz", _utc_timestamptz_loader())


@functools.cache
def _utc_timestamptz_loader() -> type:
    """The loader class (built on first use: psycopg is imported on PostgreSQL only)."""
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.adapt import Loader

    utc = datetime.UTC
    parse = datetime.datetime.fromisoformat
    careful_class = type("UtcTzLoader", (BaseTzLoader,), {"timezone": utc})

    class UtcTimestamptzLoader(Loader):
        """A ``timestamptz`` in PostgreSQL's ISO output (``2026-03-02 09:00:00.5+00``)
        parsed by ``datetime.fromisoformat`` (C): the same value Django's loader gives, an
        aware date-time whose ``tzinfo`` is ``datetime.UTC``. Anything else (another
        ``DateStyle``, an offset other than UTC's, ``infinity``, a BC date) is Django's
        loader's to load, as before."""

        #: what Django's ``create_cursor`` compares with the connection's zone
        timezone = utc

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._context, self._careful = context, None

        def load(self, data):
            try:
                value = parse(str(data, "ascii"))
            except ValueError:
                value = None
            if value is None or value.tzinfo is not utc:
                if self._careful is None:
                    self._careful = careful_class(self.oid, self._context)
                return self._careful.load(data)
            return value

    return UtcTimestamptzLoader
