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
