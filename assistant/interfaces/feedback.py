"""Thumbs up/down with an optional comment, stored in SQLite (WAL) in the data directory."""

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
    comment TEXT NOT NULL DEFAULT ''
)
"""
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


class FeedbackStore:
    """Each write opens its own connection: safe from any thread, and WAL lets readers run alongside."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA busy_timeout = 30000")
        return db

    def add(self, session: str, reply: dict, liked: bool, comment: str = "") -> Vote:
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise BackstretchError(f"the comment is {len(comment)} characters long; the limit is {MAX_COMMENT}")
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
            rows = db.execute("SELECT created, session, question, reply, vote, comment FROM feedback ORDER BY id")
            return [Vote(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]
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
