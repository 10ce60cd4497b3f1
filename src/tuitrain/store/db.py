"""Opening the SQLite database: pragmas, transactions that never say "locked", schema
versions.

Every write goes through :func:`Database.write`, which starts ``BEGIN IMMEDIATE``: the
write lock is taken up front (waiting up to ``busy_timeout``), so a transaction never
has to upgrade a read lock under contention, the case in which SQLite gives up at once
with "database is locked". Reads use deferred transactions and, thanks to WAL, never
wait for a writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlmodel import Session, SQLModel

from tuitrain.store import models  # noqa: F401  (registers the tables)

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 60.0


class StoreError(RuntimeError):
    pass


# Migrations that cannot be derived from the models: {from_version: fn(connection)}.
# Added nullable/defaulted columns and new tables/indexes are applied automatically.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}

INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_metrics_series ON metrics (experiment_id, name, step)",
    "CREATE INDEX IF NOT EXISTS ix_transitions_experiment ON status_transitions (experiment_id, at)",
)


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's begin listener issues BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA journal_mode=WAL")  # persistent; a no-op once the file is WAL
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("tuitrain_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One SQLite file. Cheap to create; share one per process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(
            f"sqlite:///{path}",
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "begin", _on_begin)
        self._write_engine = self.engine.execution_options(tuitrain_immediate=True)
        self._prepare()

    def _prepare(self) -> None:
        with self._write_engine.begin() as conn:
            version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
            has_tables = bool(inspect(conn).get_table_names())
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer tuitrain (schema {version}, "
                    f"this one knows {SCHEMA_VERSION}); upgrade tuitrain to open it"
                )
            if has_tables and version < SCHEMA_VERSION:
                for step in range(max(version, 1), SCHEMA_VERSION):
                    if step in MIGRATIONS:
                        MIGRATIONS[step](conn)
            SQLModel.metadata.create_all(conn)
            _add_missing_columns(conn)
            for ddl in INDEXES:
                conn.exec_driver_sql(ddl)
            if version != SCHEMA_VERSION:
                conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE), committed on success."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _add_missing_columns(conn: Connection) -> None:
    """Additive schema changes: a column the models have and an older file lacks."""
    inspector = inspect(conn)
    for table in SQLModel.metadata.sorted_tables:
        existing = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in existing:
                continue
            coltype = column.type.compile(dialect=conn.dialect)
            default = ""
            if column.default is not None and getattr(column.default, "is_scalar", False):
                value = column.default.arg  # type: ignore[attr-defined]
                default = f" DEFAULT {_sql_literal(value)}"
            elif not column.nullable:
                default = f" DEFAULT {_sql_literal(_zero_for(coltype))}"
            conn.execute(
                text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {coltype}{default}')
            )


def _zero_for(coltype: str) -> object:
    upper = coltype.upper()
    if "INT" in upper or "BOOL" in upper:
        return 0
    if "FLOAT" in upper or "REAL" in upper:
        return 0.0
    return ""


def _sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
