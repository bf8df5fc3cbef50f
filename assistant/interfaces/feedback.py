"""Thumbs up/down with an optional comment, in SQLite (WAL) by default or PostgreSQL for several replicas.

A vote from the page is keyed by (session, reply): one row per reply per session, changed in place when the
other thumb is clicked and deleted when the vote is taken back. `add` keeps appending rows (one per call).

The store is given a path (SQLite) or a database URL (`postgresql+psycopg://...`, through SQLAlchemy). Anything
the database refuses (a damaged or read-only file, a server that does not answer) is one line naming the database,
never a traceback; `read_only=True` (export) opens SQLite read-only and never creates or changes anything."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BackstretchError, FeedbackError

MAX_COMMENT = 2000
MAX_KEY = 200  # session ids and reply keys
# OWASP's CSV injection advice: a cell starting with one of these is run as a formula by spreadsheets, so it is
# exported behind a single quote (fullwidth forms too: some spreadsheets fold them to ASCII).
if TYPE_CHECKING:
    from sqlalchemy import Engine, Table
    from sqlalchemy.sql.dml import UpdateBase

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _say(key: str, **values) -> str:
    """Wording from prompts/feedback.yaml; without the prompts the key and values still make one clear line."""
    from ..prompts import texts
    from ..settings import prompts_dir

    try:
        return texts(str(prompts_dir()), "feedback.yaml")[key].format(**values)
    except (BackstretchError, KeyError, TypeError):
        return f"{key.replace('_', ' ')}: " + ", ".join(f"{k}={v}" for k, v in values.items())


@dataclass(frozen=True)
class Vote:
    """One vote on one reply; `reply` is the full reply JSON with its citations."""

    created: float
    session: str
    question: str
    reply: dict
    vote: int
    comment: str = ""
    reply_key: str | None = None  # the reply voted on, for votes cast on the page


def neutralised(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: a formula-like start is put behind a single quote (OWASP)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def checked_comment(comment: object) -> str:
    """A comment as stored: text, at most MAX_COMMENT characters, line breaks and tabs but no other control
    character (NUL, ESC, ...) and no lone surrogate; raises FeedbackError naming what is wrong."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise FeedbackError(_say("comment_not_text", kind=type(comment).__name__))
    comment = comment.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(comment) > MAX_COMMENT:
        raise FeedbackError(_say("comment_too_long", length=len(comment), limit=MAX_COMMENT))
    for ch in comment:
        category = unicodedata.category(ch)
        if category == "Cs":
            raise FeedbackError(_say("comment_not_unicode"))
        if category == "Cc" and ch not in "\n\t":
            raise FeedbackError(_say("comment_control", code=f"U+{ord(ch):04X}"))
    return comment


def _key(value: object, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_KEY or not value.isprintable():
        raise FeedbackError(_say("bad_key", name=name, limit=MAX_KEY))
    return value


class FeedbackStore:
    """Safe from any thread and any number of processes: each call opens its own connection (SQLite's WAL lets
    readers run alongside), and the unique index makes concurrent votes on one reply merge into one row."""

    def __init__(self, where: Path | str, *, read_only: bool = False) -> None:
        text = str(where)
        self.url = text if "://" in text else None
        self.path = None if self.url else Path(where)
        self.read_only = read_only
        self.skipped = 0  # rows the last read could not use
        self._engine: Engine | None = None
        self._table: Table | None = None
        if self.path is not None and read_only and not self.path.exists():
            return  # nothing to read, and a reader creates nothing
        with self._guard():
            self._engine = self._make_engine()
            self._table = _table()
            if not read_only:
                self._create_schema()

    # ---- connections ----

    @property
    def where(self) -> str:
        if self.path is not None:
            return str(self.path)
        assert self.url is not None  # a store has a path or a URL
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def _opened(self) -> tuple[Engine, Table]:
        """The engine and table; only a read-only store on a missing file has neither, and it writes nothing."""
        if self._engine is None or self._table is None:
            raise FeedbackError(_say("db_opened_read_only", where=self.where))
        return self._engine, self._table

    def _make_engine(self) -> Engine:
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        if self.path is None:
            assert self.url is not None  # a store has a path or a URL
            # a connection per call, as with SQLite: votes are rare, and nothing stays open between them
            return create_engine(self.url, poolclass=NullPool)
        if not self.read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        path = self.path.resolve()

        def connect() -> sqlite3.Connection:
            if self.read_only:
                try:
                    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30, check_same_thread=False)
                except sqlite3.OperationalError:  # WAL on read-only media: no -shm can be made, so read as is
                    return sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True, check_same_thread=False)
            return sqlite3.connect(path, timeout=30, check_same_thread=False)

        engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi, _record) -> None:
            dbapi.execute("PRAGMA busy_timeout = 30000")

        return engine

    def _create_schema(self) -> None:
        from sqlalchemy import inspect, text

        engine, table = self._opened()
        with engine.begin() as db:
            if engine.dialect.name == "postgresql":  # two replicas starting at once make the schema once
                db.execute(text("SELECT pg_advisory_xact_lock(715151)"))
            else:
                db.exec_driver_sql("PRAGMA journal_mode=WAL")
            table.metadata.create_all(db, checkfirst=True)
            columns = {c["name"] for c in inspect(db).get_columns("feedback")}
            if "reply_key" not in columns:  # a database from before votes were keyed by reply
                db.execute(text("ALTER TABLE feedback ADD COLUMN reply_key TEXT"))
            db.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS feedback_reply ON feedback (session, reply_key)"))

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """What the database refuses becomes one line naming it and what to do."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except FeedbackError:
            raise
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            raise FeedbackError(self._explain(exc)) from None

    def _explain(self, exc: Exception) -> str:
        cause = getattr(exc, "orig", None) or exc
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        low = reason.lower()
        if "not a database" in low or "malformed" in low or "file is encrypted" in low:
            key = "db_damaged"
        elif "readonly" in low or "read-only" in low or "read only" in low:
            key = "db_read_only"
        elif self.path is None and ("connect" in low or "connection" in low or "could not translate" in low):
            key = "db_unreachable"
        else:
            key = "db_failed"
        return _say(key, where=self.where, reason=reason)

    def _write(self, statement: UpdateBase) -> int:
        if self.read_only:
            raise FeedbackError(_say("db_opened_read_only", where=self.where))
        with self._guard(), self._opened()[0].begin() as db:
            return db.execute(statement).rowcount

    # ---- votes ----

    def vote(self, session: str, key: str, reply: dict, value: int, comment: str = "") -> Vote:
        """Set the session's one vote on reply `key` to `value` (1 or -1), replacing any earlier vote on it."""
        if type(value) is not int or value not in (1, -1):
            raise FeedbackError(_say("bad_vote", value=repr(value)))
        session, key = _key(session, "session"), _key(key, "reply key")
        vote = Vote(time.time(), session, _question(reply), reply, value, checked_comment(comment), key)
        row = self._row(vote)
        engine, table = self._opened()
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite  # the same on_conflict_do_update
        statement = dialect.insert(table).values(**row)
        statement = statement.on_conflict_do_update(
            index_elements=["session", "reply_key"],
            set_={"created": statement.excluded.created, "vote": statement.excluded.vote,
                  "reply": statement.excluded.reply})
        self._write(statement)
        return vote

    def remove(self, session: str, key: str) -> bool:
        """Take back the session's vote on reply `key` (and its comment); False if there was none."""
        t = self._opened()[1]
        return self._write(t.delete().where(t.c.session == session, t.c.reply_key == key)) > 0

    def comment(self, session: str, key: str, comment: str) -> bool:
        """Attach `comment` to the session's vote on reply `key`; False if there is no such vote."""
        t = self._opened()[1]
        text = checked_comment(comment)
        return self._write(t.update().where(t.c.session == session, t.c.reply_key == key).values(comment=text)) > 0

    def add(self, session: str, reply: dict, liked: bool, comment: str = "") -> Vote:
        """Append one vote row (no reply key: never merged with another)."""
        if type(liked) is not bool:
            raise FeedbackError(_say("bad_liked", value=repr(liked)))
        vote = Vote(time.time(), _key(session, "session"), _question(reply), reply, 1 if liked else -1,
                    checked_comment(comment))
        row = self._row(vote)
        row.pop("reply_key")
        self._write(self._opened()[1].insert().values(**row))
        return vote

    @staticmethod
    def _row(vote: Vote) -> dict:
        if not isinstance(vote.reply, dict):
            raise FeedbackError(_say("bad_reply", kind=type(vote.reply).__name__))
        return {"created": vote.created, "session": vote.session, "question": vote.question,
                "reply": json.dumps(vote.reply, ensure_ascii=False), "vote": vote.vote, "comment": vote.comment,
                "reply_key": vote.reply_key}

    # ---- reading ----

    def all(self) -> list[Vote]:
        """Every vote in order; a row that cannot be read (bad JSON, wrong types) is skipped and counted in
        `skipped`, so one damaged row does not hide the others."""
        self.skipped = 0
        if self._engine is None:
            return []
        from sqlalchemy import select

        engine, t = self._opened()
        votes = []
        with self._guard(), engine.connect() as db:
            rows = db.execute(select(t.c.created, t.c.session, t.c.question, t.c.reply, t.c.vote, t.c.comment,
                                     t.c.reply_key).order_by(t.c.id)).all()
        for r in rows:
            try:
                reply = json.loads(r[3])
                if not isinstance(reply, dict) or r[4] not in (1, -1):
                    raise ValueError("not a vote")
                votes.append(Vote(float(r[0]), str(r[1]), str(r[2]), reply, int(r[4]), str(r[5] or ""),
                                  None if r[6] is None else str(r[6])))
            except (TypeError, ValueError):
                self.skipped += 1
        return votes

    def export(self, fmt: str) -> str:
        """All votes as JSON Lines or CSV (the reply JSON in one column; text cells neutralised for spreadsheets)."""
        if fmt not in ("csv", "jsonl"):
            raise FeedbackError(_say("bad_format", format=repr(fmt)))
        votes = self.all()
        if fmt == "jsonl":
            return "".join(json.dumps(asdict(v), ensure_ascii=False) + "\n" for v in votes)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["created", "session", "question", "vote", "comment", "reply"])
        for v in votes:
            writer.writerow([f"{v.created:.3f}", neutralised(v.session), neutralised(v.question), v.vote,
                             neutralised(v.comment), neutralised(json.dumps(v.reply, ensure_ascii=False))])
        return out.getvalue()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _question(reply: object) -> str:
    return str(reply.get("question", "")) if isinstance(reply, dict) else ""


def _table() -> Table:
    from sqlalchemy import CheckConstraint, Column, Float, Integer, MetaData, Table, Text

    return Table("feedback", MetaData(),
                 Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("created", Float, nullable=False),
                 Column("session", Text, nullable=False),
                 Column("question", Text, nullable=False),
                 Column("reply", Text, nullable=False),
                 Column("vote", Integer, CheckConstraint("vote IN (-1, 1)"), nullable=False),
                 Column("comment", Text, nullable=False, server_default=""),
                 Column("reply_key", Text),
                 sqlite_autoincrement=True)
