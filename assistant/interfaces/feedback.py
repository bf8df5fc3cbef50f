"""Thumbs up/down with an optional comment, stored in SQLite (WAL) in the data directory.

A vote from the page is keyed by (session, reply): one row per reply per session, changed in place when the
other thumb is clicked and deleted when the vote is taken back. `add` keeps appending rows (one per call)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import BackstretchError

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    session TEXT NOT NULL,
    question TEXT NOT NULL,
    reply TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    reply_key TEXT
)
"""
# One vote per reply per session; rows written by `add` (no key) are not constrained (NULLs are distinct).
INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_reply ON feedback (session, reply_key)"
MAX_COMMENT = 2000


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


class FeedbackStore:
    """Each write opens its own connection: safe from any thread, and WAL lets readers run alongside."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
            if "reply_key" not in columns:  # a database from before votes were keyed by reply
                db.execute("ALTER TABLE feedback ADD COLUMN reply_key TEXT")
            db.execute(INDEX)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA busy_timeout = 30000")
        return db

    @staticmethod
    def _checked(comment: str | None) -> str:
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise BackstretchError(f"the comment is {len(comment)} characters long; the limit is {MAX_COMMENT}")
        return comment

    def _write(self, sql: str, params: tuple) -> int:
        db = self._connect()
        try:
            with db:
                return db.execute(sql, params).rowcount
        finally:
            db.close()

    def vote(self, session: str, key: str, reply: dict, value: int, comment: str = "") -> Vote:
        """Set the session's one vote on reply `key` to `value` (1 or -1), replacing any earlier vote on it."""
        if value not in (1, -1):
            raise BackstretchError(f"a vote is 1 or -1, got {value!r}")
        vote = Vote(time.time(), session, str(reply.get("question", "")), reply, value, self._checked(comment), key)
        self._write("INSERT INTO feedback (created, session, question, reply, vote, comment, reply_key) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session, reply_key) DO UPDATE SET "
                    "created = excluded.created, vote = excluded.vote, reply = excluded.reply",
                    (vote.created, session, vote.question, json.dumps(reply, ensure_ascii=False), value,
                     vote.comment, key))
        return vote

    def remove(self, session: str, key: str) -> bool:
        """Take back the session's vote on reply `key` (and its comment); False if there was none."""
        return self._write("DELETE FROM feedback WHERE session = ? AND reply_key = ?", (session, key)) > 0

    def comment(self, session: str, key: str, comment: str) -> bool:
        """Attach `comment` to the session's vote on reply `key`; False if there is no such vote."""
        return self._write("UPDATE feedback SET comment = ? WHERE session = ? AND reply_key = ?",
                           (self._checked(comment), session, key)) > 0

    def add(self, session: str, reply: dict, liked: bool, comment: str = "") -> Vote:
        """Append one vote row (no reply key: never merged with another)."""
        comment = self._checked(comment)
        vote = Vote(time.time(), session, str(reply.get("question", "")), reply, 1 if liked else -1, comment)
        db = self._connect()
        try:
            with db:
                db.execute("INSERT INTO feedback (created, session, question, reply, vote, comment) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (vote.created, vote.session, vote.question, json.dumps(reply, ensure_ascii=False),
                            vote.vote, vote.comment))
        finally:
            db.close()
        return vote

    def all(self) -> list[Vote]:
        db = self._connect()
        try:
            rows = db.execute("SELECT created, session, question, reply, vote, comment, reply_key FROM feedback "
                              "ORDER BY id")
            return [Vote(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]
        finally:
            db.close()

    def export(self, fmt: str) -> str:
        """All votes as JSON Lines or CSV (the reply JSON in one column)."""
        votes = self.all()
        if fmt == "jsonl":
            return "".join(json.dumps(asdict(v), ensure_ascii=False) + "\n" for v in votes)
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["created", "session", "question", "vote", "comment", "reply"])
            for v in votes:
                writer.writerow([f"{v.created:.3f}", v.session, v.question, v.vote, v.comment,
                                 json.dumps(v.reply, ensure_ascii=False)])
            return out.getvalue()
        raise BackstretchError(f"unknown export format {fmt!r}; use csv or jsonl")
