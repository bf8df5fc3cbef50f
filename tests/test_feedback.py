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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request, tmp_path):
    """The same store behaviour on SQLite (one machine) and on a real PostgreSQL server (several replicas)."""
    if request.param == "sqlite":
        return FeedbackStore(tmp_path / "feedback.sqlite3")
    from .postgres import fresh_database

    url = request.getfixturevalue("postgres_url")
    return FeedbackStore(fresh_database(url, f"t_{abs(hash(request.node.name)) % 10**8}"))


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


# ---- hardening (issue 15): CSV injection, validated votes, damaged or read-only databases, replicas ----

@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\tstarts with a tab", "\rstarts with CR"])
def test_csv_export_neutralises_cells_that_a_spreadsheet_would_run(store, reply, text):
    comment = text.replace("\r", "").replace("\t", "") if text[0] in "\t\r" else text
    store.add(text if text[0] not in "\t\r" else "s", {**reply, "question": text}, liked=True, comment=comment)
    [row] = list(csv.DictReader(io.StringIO(store.export("csv"))))
    assert row["question"] == "'" + text
    for name in ("session", "question", "comment"):
        assert row[name][:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert row["vote"] == "1" and json.loads(row["reply"])["question"] == text  # JSON and numbers stay as they are


def test_store_behaviour_is_the_same_on_sqlite_and_postgresql(any_store, reply):
    any_store.vote("s1", "k1", reply, 1)
    any_store.vote("s1", "k1", reply, -1)
    assert any_store.comment("s1", "k1", "wrong method")
    any_store.vote("s1", "k2", reply, 1)
    assert any_store.remove("s1", "k2") and not any_store.remove("s1", "k2")
    any_store.add("s2", reply, liked=True)
    votes = any_store.all()
    assert [(v.session, v.reply_key, v.vote, v.comment) for v in votes] == [("s1", "k1", -1, "wrong method"),
                                                                             ("s2", None, 1, "")]
    assert votes[0].reply["citations"] == reply["citations"]
    assert json.loads(any_store.export("jsonl").splitlines()[0])["reply_key"] == "k1"


def test_twenty_votes_from_one_session_on_one_reply_leave_one_row(any_store, reply):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: any_store.vote("s1", "k", reply, 1 if i % 2 else -1), range(20)))
    assert len(any_store.all()) == 1


def _cast_votes(args) -> int:
    """Runs in its own process: a replica casting votes on the shared database."""
    url, replica, reply = args
    store = FeedbackStore(url)
    for i in range(40):
        store.vote(f"session-{i}", "shared-reply", reply, 1 if replica == 0 else -1)  # both on the same keys
        store.vote(f"{replica}-{i}", f"reply-{i}", reply, 1)  # and each on its own
    return replica


@pytest.mark.postgres
def test_two_replica_processes_voting_at_once_share_one_database(postgres_url, reply):
    import multiprocessing

    from .postgres import fresh_database

    url = fresh_database(postgres_url, "replicas")
    FeedbackStore(url)  # the schema, as the first replica to start makes it
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert sorted(pool.map(_cast_votes, [(url, 0, reply), (url, 1, reply)])) == [0, 1]
    votes = FeedbackStore(url, read_only=True).all()
    assert len(votes) == 40 + 80  # one row per (session, reply), whichever replica wrote it last
    assert len({(v.session, v.reply_key) for v in votes}) == len(votes)


@pytest.mark.parametrize("value", ["yes", None, 1, 0, "", [], {}])
def test_liked_must_be_a_real_boolean(store, reply, value):
    with pytest.raises(BackstretchError, match="liked"):
        store.add("s", reply, liked=value)
    assert store.all() == []


@pytest.mark.parametrize("value", [True, "1", 1.0, 2, None])
def test_a_vote_value_is_the_integer_1_or_minus_1(store, reply, value):
    with pytest.raises(BackstretchError, match="1 or -1"):
        store.vote("s", "k", reply, value)
    assert store.all() == []


@pytest.mark.parametrize("comment, words", [
    ({"a": 1}, "text"), (["x"], "text"), (5, "text"), ("bad\x00nul", "control"), ("esc \x1b[31mred", "control"),
    ("bell\x07", "control"), ("lone \ud800", "not valid"), ("x" * 2001, "limit is 2000"),
])
def test_a_comment_is_bounded_text_without_control_characters(store, reply, comment, words):
    store.vote("s", "k", reply, 1)
    with pytest.raises(BackstretchError, match=words):
        store.comment("s", "k", comment)
    with pytest.raises(BackstretchError, match=words):
        store.add("s", reply, liked=True, comment=comment)
    assert [v.comment for v in store.all()] == [""]


def test_a_comment_keeps_its_line_breaks_and_tabs(store, reply):
    store.vote("s", "k", reply, 1)
    assert store.comment("s", "k", "first line\r\nsecond\tline")
    assert store.all()[0].comment == "first line\nsecond\tline"


def _damage(path):
    path.write_bytes(b"this is not a database" * 200)


def test_a_damaged_database_is_one_line_naming_the_file(tmp_path, reply):
    path = tmp_path / "feedback.sqlite3"
    _damage(path)
    for call in (lambda: FeedbackStore(path), lambda: FeedbackStore(path, read_only=True).export("csv")):
        with pytest.raises(BackstretchError) as err:
            call()
        message = str(err.value)
        assert "\n" not in message and str(path) in message and "damaged" in message


def test_a_database_damaged_after_start_refuses_a_vote_with_a_clear_error(tmp_path, reply):
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path)
    for extra in ("-wal", "-shm"):
        (tmp_path / f"feedback.sqlite3{extra}").unlink(missing_ok=True)
    _damage(path)
    with pytest.raises(BackstretchError, match="damaged"):
        store.vote("s", "k", reply, 1)


def test_one_bad_row_does_not_break_the_export(store, reply):
    store.add("a", reply, liked=True)
    store.add("b", reply, liked=False)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE feedback SET reply = '{not json' WHERE session = 'a'")
    lines = store.export("jsonl").splitlines()
    assert [json.loads(line)["session"] for line in lines] == ["b"]
    assert store.skipped == 1


def test_export_opens_read_only_and_never_creates_or_changes_the_database(tmp_path, reply):
    path = tmp_path / "feedback.sqlite3"
    assert FeedbackStore(path, read_only=True).export("jsonl") == "" and not path.exists()
    FeedbackStore(path).add("a", reply, liked=True)
    before = path.read_bytes()
    reader = FeedbackStore(path, read_only=True)
    assert len(reader.export("csv").splitlines()) == 2 and path.read_bytes() == before
    with pytest.raises(BackstretchError, match="read-only"):
        reader.add("b", reply, liked=True)
