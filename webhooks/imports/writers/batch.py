"""The importer's batch statements, behind one seam (``core.db.Seam``).

``GenericBatchWrites`` (the ORM: ``bulk_create`` / ``bulk_update``, every database) and
``PostgresBatchWrites`` (``COPY``, ``UPDATE … FROM UNNEST``, a staged upsert) do the same
thing; the writers call ``batch_writes.impl`` and never test the database themselves.
Table and column names come from the models' metadata (``core.db.table()/column()``).
``tests/imports`` runs the writers' behaviour tests over both.
"""

import json
from collections.abc import Iterable
from operator import itemgetter

from django.db import connection
from django.db.models import JSONField, QuerySet
from django.utils import timezone

from buddy.models import Match, MatchTransition
from buddy.services.common import Outcome
from core.db import Seam, column, table
from webhooks.imports.report import BatchResult

#: ``(item, key fields, values)``: one row of an upsert (``item``: ``writers.common.Item``).
Row = tuple[object, dict, dict]


class GenericBatchWrites:
    """The ORM's bulk statements: existing rows are read as plain values and compared in
    Python; new rows go in with ``bulk_create``, changed ones with ``bulk_update``."""

    def commit_without_waiting(self) -> None:
        """Only PostgreSQL can commit without waiting for the disk."""

    def analyze(self, models: Iterable) -> None:
        """Only PostgreSQL's planner needs telling that a table grew (``ANALYZE``)."""

    def fingerprint(self, models: Iterable):
        """Row versions are PostgreSQL's: without them no section is settled (``settled``)."""
        return None

    def update_rows(self, model, rows: dict[int, dict], fields: Iterable[str]) -> None:
        """Write ``fields`` of these rows (pk → column values) and move their ``updated_at``."""
        fields = sorted(fields)
        if not rows or not fields:
            return
        now = timezone.now()
        objs = [
            model(pk=pk, updated_at=now, **{n: row[n] for n in fields}) for pk, row in rows.items()
        ]
        model.objects.bulk_update(objs, [*fields, "updated_at"])

    def insert_rows(self, model, rows: list[dict], *, via: str) -> None:
        """Insert new rows (the model's columns, already validated)."""
        model.objects.bulk_create([model(**row, source=via) for row in rows])

    def upsert(
        self, model, rows: list[Row], existing: QuerySet, result: BatchResult, *, via: str
    ) -> None:
        """Insert or update ``(item, key fields, values)`` rows; ``existing`` holds at least
        the batch's existing rows. Only columns that differ are written and ``updated_at``
        moves only for changed rows. A key repeated inside the batch updates what the
        earlier occurrence wrote."""
        if not rows:
            return
        key_names = list(rows[0][1])
        fields = list(rows[0][2])
        width = len(key_names)
        current_rows = {
            row[1 : 1 + width]: dict(zip(fields, row[1 + width :], strict=True)) | {"pk": row[0]}
            for row in existing.values_list("pk", *key_names, *fields)
        }
        new: dict[tuple, dict] = {}
        changed: dict[int, dict] = {}
        changed_fields: set[str] = set()
        for item, key_fields, values in rows:
            key = tuple(key_fields.values())
            current = new.get(key) or current_rows.get(key)
            if current is None:
                new[key] = {**key_fields, **values}
                outcome = Outcome.CREATED
            else:
                diff = [name for name in fields if current[name] != values[name]]
                for name in diff:
                    current[name] = values[name]
                if diff and "pk" in current:
                    changed[current["pk"]] = current
                    changed_fields.update(diff)
                outcome = Outcome.UPDATED if diff else Outcome.UNCHANGED
            result.count(outcome, item.weight)
        if new:
            self.insert_rows(model, list(new.values()), via=via)
        self.update_rows(model, changed, changed_fields)

    def create_matches(
        self, matches: list[Match], transitions: list[MatchTransition], *, via: str
    ) -> None:
        """Insert new matches; their ``imported`` transitions stay in ``transitions`` (the
        caller writes them with the rest)."""
        Match.objects.bulk_create(matches)


STAGE = "buddy_import_stage"


def _json_text(value, _dumps=json.dumps) -> str:
    """A JSON column's value as COPY text: what ``Jsonb(value)`` sends (``json.dumps``; the
    server parses it into the same jsonb), without an adapter object per value, and the
    empty list or object most rows hold (no unknown ids, no goals) not serialised at all."""
    if not value:
        kind = value.__class__
        if kind is list:
            return "[]"
        if kind is dict:
            return "{}"
    return _dumps(value)


def _row_version(model, alias: str) -> str:
    """A row's version as a number: a hash of its id and ``xmin`` (the transaction that wrote
    this version of it; an update writes a new version)."""
    pk = column(model, model._meta.pk.name)
    return f"hashtextextended({alias}.{pk}::text || ':' || {alias}.xmin::text, 0)"


def _int_array(numbers: list[int]) -> str:
    """An ``integer[]`` literal built in one pass (psycopg adapts a list item by item)."""
    return "{" + ",".join(map(str, numbers)) + "}"


class PostgresBatchWrites(GenericBatchWrites):
    """PostgreSQL's fast statements: a fixed handful per batch whatever its size, and
    nothing of the stored rows decoded in Python."""

    def commit_without_waiting(self) -> None:
        """This batch's commit does not wait for its WAL to reach the disk. A crash may then
        lose the last batches committed (never part of one): the import is an idempotent
        upsert, so running it again completes it. Saves a disk flush per batch."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def analyze(self, models: Iterable) -> None:
        """Fresh planner statistics for tables an import has just filled. Until autovacuum
        gets to them (a minute later at best; never where it is off), PostgreSQL plans
        over the empty tables it saw last: the recompute after a first import then took a
        nested loop over every active match (16 s instead of 0.2 s at 74,400 rows).
        ``ANALYZE`` samples (tens of milliseconds a table) and runs in the transaction."""
        names = sorted({table(model) for model in models})
        if names:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(names)}")

    def fingerprint(self, models: Iterable) -> list[tuple[int, int]]:
        """For ``settled``: per table its row count and the sum of ``row_version`` over its
        rows (any insert, update or delete changes one of them). One statement, one
        snapshot."""
        parts = [
            f"SELECT {position}, count(*), "  # noqa: S608
            f"coalesce(sum({_row_version(model, 't')}), 0)::text FROM {table(model)} t"
            for position, model in enumerate(models)
        ]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts))
            return [(count, int(total)) for _p, count, total in sorted(cursor.fetchall())]

    def update_rows(self, model, rows: dict[int, dict], fields: Iterable[str]) -> None:
        """One ``UPDATE … FROM UNNEST(<one array per column>)``: a handful of parameters
        whatever the number of rows (``bulk_update`` builds a CASE per field and row)."""
        fields = sorted(fields)
        if not rows or not fields:
            return
        now = timezone.now()
        meta = model._meta
        columns = [meta.pk, *(meta.get_field(name) for name in fields)]
        arrays = [[meta.pk.get_db_prep_value(pk, connection) for pk in rows]]
        arrays += [
            [f.get_db_prep_save(row[f.attname], connection) for row in rows.values()]
            for f in columns[1:]
        ]
        names = [column(model, f.name) for f in columns]
        unnest = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
        assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
        target = table(model)
        # Only quoted column and table names and fixed SQL go into the text; values are
        # parameters.
        sql = (
            f"UPDATE {target} SET {assignments}, {column(model, 'updated_at')} = %s "  # noqa: S608
            f"FROM UNNEST({unnest}) AS v({', '.join(names)}) "
            f"WHERE {target}.{names[0]} = v.{names[0]}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, *arrays])

    def insert_rows(self, model, rows: list[dict], *, via: str) -> None:
        """COPY: skips the per-row SQL building and parameter quoting of ``bulk_create``,
        the largest cost of a first import."""
        now = timezone.now()
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        constant = {"created_at": now, "updated_at": now, "source": via}
        defaults = {f.attname: f.get_default() for f in fields}
        json_columns = {f.attname for f in fields if isinstance(f, JSONField)}
        names = [f.attname for f in fields]
        columns = ", ".join(column(model, f.name) for f in fields)
        sql = f"COPY {table(model)} ({columns}) FROM STDIN"
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in rows:
                values = []
                for name in names:
                    if name in constant:
                        value = constant[name]
                    else:
                        value = row.get(name, defaults[name])
                        if name in json_columns:
                            value = _json_text(value)
                    values.append(value)
                copy.write_row(values)

    def upsert(
        self, model, rows: list[Row], existing: QuerySet, result: BatchResult, *, via: str
    ) -> None:
        """The batch is COPYed into a temporary table and the database compares, inserts
        and updates (five statements, whatever the batch size; ``existing`` is not needed).

        Nothing of the existing rows travels back but (position, changed?) pairs, so a
        re-import costs no decoding of stored JSON and dates. ``IS NOT DISTINCT FROM`` on
        the model's own column types compares as Python does (jsonb by value, timestamps
        as instants). A key repeated inside the batch: its last values are written; the
        earlier occurrences count as in the generic upsert.
        """
        if not rows:
            return
        meta = model._meta
        key_names, names = list(rows[0][1]), list(rows[0][2])
        staged: dict[tuple, int] = {}  # key → position in ``final``
        final: list[tuple[tuple, dict]] = []  # (key, values) to stage
        outcomes: list[tuple[object, int | None, Outcome | None]] = []  # (item, position, fixed)
        for item, key_fields, values in rows:
            key = tuple(key_fields.values())
            position = staged.get(key)
            if position is None:
                staged[key] = len(final)
                final.append((key, values))
                outcomes.append((item, len(final) - 1, None))
            else:
                earlier = final[position][1]
                same = all(earlier[n] == values[n] for n in names)
                final[position] = (key, values)
                outcomes.append((item, None, Outcome.UNCHANGED if same else Outcome.UPDATED))
                result.repeated = True
        result.keys += staged

        keys = [meta.get_field(n) for n in key_names]
        fields = [meta.get_field(n) for n in names]
        stage_columns = [column(model, f.name) for f in (*keys, *fields)]
        target = table(model)
        join = " AND ".join(f"t.{c} = s.{c}" for c in stage_columns[: len(keys)])
        field_columns = stage_columns[len(keys) :]
        same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM s.{c}" for c in field_columns) or "TRUE"
        pk, updated_at = column(model, meta.pk.name), column(model, "updated_at")
        # Only quoted table and column names and fixed SQL go into these texts; values are
        # parameters or COPY data.
        with connection.cursor() as cursor:
            # Joins of the stage with its table probe the key index row by row (a nested
            # loop): a hash join would scan the whole table for every batch, quadratic over
            # an import. Right after a bulk load the table's statistics are stale, so the
            # planner is told.
            stage = connection.ops.quote_name(f"{STAGE}_{meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} AS "  # noqa: S608
                f"SELECT 0 AS ord, {', '.join(stage_columns)} FROM {target} WITH NO DATA; "
                f"DELETE FROM {stage}; "
                "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
            )
            copy_sql = f"COPY {stage} (ord, {', '.join(stage_columns)}) FROM STDIN"
            pick = itemgetter(*names)
            first = 1 + len(keys)
            json_at = [first + i for i, f in enumerate(fields) if isinstance(f, JSONField)]
            with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for ordinal, (key, values) in enumerate(final):
                    row = [ordinal, *key, *(pick(values) if len(names) > 1 else (pick(values),))]
                    for at in json_at:
                        row[at] = _json_text(row[at])
                    copy.write_row(row)
            cursor.execute(
                f"SELECT s.ord, t.{pk} IS NOT NULL, {same}, "  # noqa: S608
                f"CASE WHEN {same} THEN 0 ELSE {_row_version(model, 't')} END "
                f"FROM {stage} s LEFT JOIN {target} t ON {join}"
            )
            found, replaced = {}, 0
            for o, exists, unchanged, version in cursor.fetchall():
                found[o] = (exists, unchanged)
                if exists and not unchanged:
                    replaced += version
            new = [o for o, (exists, _same) in found.items() if not exists]
            changed = [o for o, (exists, unchanged) in found.items() if exists and not unchanged]
            result.versions -= replaced
            now = timezone.now()
            if new:
                constant = {"created_at": now, "updated_at": now, "source": via}
                extra = [
                    f
                    for f in meta.concrete_fields
                    if not f.primary_key and f.attname not in key_names and f.attname not in names
                ]
                extra_values = [
                    f.get_db_prep_save(constant.get(f.attname, f.get_default()), connection)
                    for f in extra
                ]
                columns = ", ".join([*stage_columns, *(column(model, f.name) for f in extra)])
                selected = ", ".join(
                    [
                        *(f"s.{c}" for c in stage_columns),
                        *(f"%s::{f.db_type(connection)}" for f in extra),
                    ]
                )
                cursor.execute(
                    f"WITH w AS (INSERT INTO {target} ({columns}) SELECT {selected} "  # noqa: S608
                    f"FROM {stage} s WHERE s.ord = ANY(%s::integer[]) "
                    f"RETURNING {_row_version(model, target)} AS v) "
                    "SELECT count(*), coalesce(sum(v), 0)::text FROM w",
                    [*extra_values, _int_array(new)],
                )
                added, version = cursor.fetchone()
                result.added += added
                result.versions += int(version)
            if changed:
                assignments = ", ".join(f"{c} = s.{c}" for c in field_columns)
                cursor.execute(
                    f"WITH w AS (UPDATE {target} t SET {assignments}, {updated_at} = %s "  # noqa: S608
                    f"FROM {stage} s WHERE {join} AND s.ord = ANY(%s::integer[]) "
                    f"RETURNING {_row_version(model, 't')} AS v) "
                    "SELECT count(*), coalesce(sum(v), 0)::text FROM w",
                    [now, _int_array(changed)],
                )
                result.versions += int(cursor.fetchone()[1])
            cursor.execute("RESET enable_hashjoin; RESET enable_mergejoin")
        for item, position, fixed in outcomes:
            if fixed is None:
                exists, unchanged = found[position]
                fixed = (
                    Outcome.CREATED
                    if not exists
                    else (Outcome.UNCHANGED if unchanged else Outcome.UPDATED)
                )
            result.count(fixed, item.weight)

    def create_matches(
        self, matches: list[Match], transitions: list[MatchTransition], *, via: str
    ) -> None:
        """The matches go in by COPY and their ``imported`` transitions with one INSERT …
        SELECT (the transitions need the new ids), taken out of ``transitions``."""
        fields = [f.attname for f in Match._meta.concrete_fields if not f.primary_key]
        self.insert_rows(Match, [{f: getattr(m, f) for f in fields} for m in matches], via=via)
        created = {id(m) for m in matches}
        transitions[:] = [t for t in transitions if id(t.match) not in created]
        to = ", ".join(
            column(MatchTransition, f)
            for f in ("match", "from_status", "to_status", "at", "via", "reason", "note")
        )
        m = {f: f"m.{column(Match, f)}" for f in ("id", "status", "matched_at", "external_id")}
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table(MatchTransition)} ({to}) "  # noqa: S608
                f"SELECT {m['id']}, '', {m['status']}, {m['matched_at']}, %s, 'imported', '' "
                f"FROM {table(Match)} m WHERE {m['external_id']} = ANY(%s::uuid[])",
                [via, "{" + ",".join(str(x.external_id) for x in matches) + "}"],
            )


#: The importer's batch statements: ``batch_writes.impl.upsert(...)``.
batch_writes: Seam[GenericBatchWrites] = Seam(
    "imports.batch_writes", generic=GenericBatchWrites(), postgresql=PostgresBatchWrites()
)
