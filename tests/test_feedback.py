"""Votes land in SQLite (WAL) with the full reply; concurrent votes lose nothing; export is CSV or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.errors import BackstretchError
from assistant.interfaces.feedback import FeedbackStore


@pytest.fixture
def store(tmp_path):
    return FeedbackStore(tmp_path / "feedback.sqlite3")


@pytest.fixture(scope="module")
def reply(fake_bot):
    return fake_bot.ask("How do I use a foam roller?").to_dict()


def test_a_vote_keeps_the_question_reply_json_vote_and_comment(store, reply):
    store.add("session-1", reply, liked=False, comment="  missing a step  ")
    [vote] = store.all()
    assert (vote.session, vote.question, vote.vote) == ("session-1", reply["question"], -1)
    assert vote.comment == "missing a step"
    assert vote.reply["citations"] == reply["citations"] and vote.created > 0


def test_the_database_runs_in_wal_mode(store):
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_many_concurrent_votes_are_all_stored(store, reply):
    def cast(i: int) -> None:
        store.add(f"s{i % 7}", reply, liked=i % 2 == 0, comment=f"vote {i}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(cast, range(200)))
    votes = store.all()
    assert len(votes) == 200
    assert sorted(int(v.comment.split()[1]) for v in votes) == list(range(200))
    assert sum(v.vote == 1 for v in votes) == 100


def test_export_as_json_lines_and_csv(store, reply):
    store.add("a", reply, liked=True)
    store.add("b", reply, liked=False, comment='with "quotes", commas')
    lines = [json.loads(line) for line in store.export("jsonl").splitlines()]
    assert [d["vote"] for d in lines] == [1, -1] and lines[0]["reply"]["citations"]
    rows = list(csv.DictReader(io.StringIO(store.export("csv"))))
    assert rows[1]["comment"] == 'with "quotes", commas'
    assert json.loads(rows[0]["reply"])["status"] == "answered"


def test_a_too_long_comment_is_refused_and_nothing_is_stored(store, reply):
    with pytest.raises(BackstretchError, match="limit is 2000"):
        store.add("a", reply, liked=True, comment="x" * 2001)
    assert store.all() == []


def test_an_unknown_export_format_is_named(store):
    with pytest.raises(BackstretchError, match="'xml'"):
        store.export("xml")


def test_a_reply_keeps_one_vote_per_session_changed_in_place_and_removed_when_taken_back(store, reply):
    store.vote("s1", "reply-a", reply, 1)
    store.vote("s1", "reply-a", reply, -1)
    assert store.comment("s1", "reply-a", " wrong method ")
    store.vote("s1", "reply-a", reply, -1)  # the same vote again keeps the comment
    store.vote("s1", "reply-b", reply, 1)
    assert store.remove("s1", "reply-b") and not store.remove("s1", "reply-b")
    assert not store.comment("s1", "reply-b", "no vote to attach to")
    [vote] = store.all()
    assert (vote.session, vote.reply_key, vote.vote, vote.comment) == ("s1", "reply-a", -1, "wrong method")
    with pytest.raises(BackstretchError, match="1 or -1"):
        store.vote("s1", "reply-a", reply, 0)


def test_a_database_from_before_keyed_votes_is_upgraded_and_keeps_its_rows(tmp_path, reply):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, "
                   "session TEXT NOT NULL, question TEXT NOT NULL, reply TEXT NOT NULL, vote INTEGER NOT NULL "
                   "CHECK (vote IN (-1, 1)), comment TEXT NOT NULL DEFAULT '')")
        db.execute("INSERT INTO feedback (created, session, question, reply, vote) VALUES (1, 's', 'q', '{}', 1)")
    store = FeedbackStore(path)
    store.vote("s", "k", reply, -1)
    assert [(v.reply_key, v.vote) for v in store.all()] == [(None, 1), ("k", -1)]
