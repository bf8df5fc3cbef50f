"""The `backstretch` command: thin, lazy, one JSON object per turn, one-line errors with status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from assistant.interfaces.cli import main

from .conftest import ARTICLE


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_help_imports_no_heavy_library():
    code = ("import sys; from assistant.interfaces.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers', 'langchain_core', 'bm25s', 'rich',"
            " 'pydantic', 'fastapi') if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "ask" in out and "ingest" in out and "chat" in out
    assert "HEAVY []" in out


def test_ask_json_prints_one_object_per_turn_and_carries_the_conversation(settings, bot):
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json", "How do I do the child's pose?",
                           "How long should I hold it?"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d["question"] for d in lines] == ["How do I do the child's pose?", "How long should I hold it?"]
    assert all(d["status"] == "answered" for d in lines)
    assert lines[1]["citations"][0]["section_id"] == "childs-pose"
    assert "30 seconds" in lines[1]["citations"][0]["quote"]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("question, message", [
    ("", "Please type a question."), ("   ", "Please type a question."),
    ("x" * 2001, "limit is 2000"), ("bad\x07bell", "control characters"),
])
def test_bad_questions_exit_2_with_one_line_and_write_nothing(tmp_path, question, message):
    data = tmp_path / "data"
    result = run("--data-dir", str(data), "ask", "How do I stretch?", question)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    assert "Traceback" not in result.output and not data.exists()


def test_ask_with_a_corrupt_index_says_to_run_ingest(tmp_path, settings):
    data = tmp_path / "data"
    (data / "chroma").mkdir(parents=True)
    (data / "chroma" / "chroma.sqlite3").write_bytes(b"garbage" * 1000)
    result = run("--data-dir", str(data), "ask", "How do I do the child's pose?")
    assert result.exit_code == 1
    assert "backstretch ingest" in result.stderr and result.stderr.strip().count("\n") == 0


def test_ingest_adds_a_document_and_embeds_only_it(tmp_path, corpus_copy):
    data = tmp_path / "data"
    first = run("--data-dir", str(data), "--corpus-dir", str(corpus_copy), "ingest")
    assert first.exit_code == 0 and "88 passages in the index, 88 embedded" in first.output
    new = tmp_path / "wall.txt"
    new.write_text("Wall slides help the upper back. Stand against a wall.\nSlide your arms up slowly.\n",
                   encoding="utf-8")
    second = run("--data-dir", str(data), "--corpus-dir", str(corpus_copy), "ingest", str(new))
    assert second.exit_code == 0, second.stderr
    assert "added wall.txt" in second.output and "3 embedded, 88 reused" in second.output
    assert (corpus_copy / "wall.txt").exists()


def test_ingest_refuses_a_missing_file_and_adds_nothing(tmp_path, corpus_copy):
    before = sorted(p.name for p in corpus_copy.iterdir())
    result = run("--data-dir", str(tmp_path / "d"), "--corpus-dir", str(corpus_copy), "ingest",
                 str(ARTICLE), str(tmp_path / "missing.txt"))
    assert result.exit_code == 1 and "no such file" in result.stderr and "missing.txt" in result.stderr
    assert sorted(p.name for p in corpus_copy.iterdir()) == before


def test_an_empty_line_ends_the_chat(settings, bot):
    result = run("--data-dir", str(settings.data_dir), "chat",
                 input="How do I do the child's pose?\n\nHow long should I hold it?\n")
    assert result.exit_code == 0
    assert "Kneel on a padded surface" in result.output
    assert "How long" not in result.output  # an empty line ended the chat before the second question


def test_chat_answers_follow_ups_and_survives_bad_input(settings, bot):
    too_long = "x" * 2100
    result = run("--data-dir", str(settings.data_dir), "chat",
                 input=f"How do I do the child's pose?\n{too_long}\nHow long should I hold it?\n")
    assert result.exit_code == 0
    assert "limit is 2000" in result.stderr
    assert "Hold this stretch for about 30 seconds while continuing to breathe. [1]" in result.output


def test_a_referral_prints_as_a_titled_panel_with_the_action(settings, bot):
    result = run("--data-dir", str(settings.data_dir), "ask", "My back hurts and my groin has gone numb")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("╭") and "Get emergency care today" in lines[0]
    assert "Call your local emergency number" in result.output and lines[-2].startswith("╰")
    assert "Sources" not in result.output


def test_sources_are_method_titles_and_spans_only_with_verbose(settings, bot):
    plain = run("--data-dir", str(settings.data_dir), "ask", "Is the hug from the front safe?")
    verbose = run("--data-dir", str(settings.data_dir), "ask", "--verbose", "Is the hug from the front safe?")
    assert "  [1] Hug from the front (warning)\n" in plain.output and "chars" not in plain.output
    assert "⚠ Be careful though" in plain.output
    assert "  [1] Hug from the front (warning), corpus/000_7984092486e2ea15.txt chars" in verbose.output


def test_a_list_prints_its_answer_first_and_each_method_under_the_number_that_asks_for_its_steps(settings, bot):
    reply = bot.ask("How do I stretch my mid back?")
    result = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["--data-dir", str(settings.data_dir), "ask",
                                                             "How do I stretch my mid back?"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == reply.answer.splitlines()[0] and lines[0].endswith("[1]")  # the article's answer first
    for i, sid in enumerate(reply.focus[:5], start=1):
        title = bot.library.section(sid).title
        assert any(line.startswith(f"{i}. {title} (") for line in lines), title
        assert f"  {i}. How do I do the {title}?" in lines  # typing the number in `chat` asks for its steps
    steps = [p.text for sid in reply.focus for p in bot.library.section(sid).steps]
    assert not [s for s in steps if s in result.output]


def test_replies_wrap_at_the_terminal_width_between_words(settings, bot):
    result = CliRunner(env={"COLUMNS": "50"}).invoke(main, ["--data-dir", str(settings.data_dir), "ask",
                                                            "How do I use a foam roller?"])
    assert result.exit_code == 0
    assert max(len(line) for line in result.output.splitlines()) <= 50
    words = set(" ".join(result.output.split()).split())
    assert {"perpendicular", "osteoarthritis", "indestructible."} <= words


def test_chat_offers_options_and_a_number_asks_that_question(settings, monkeypatch):
    from assistant.records import Reply

    asked = []

    class Fake:
        def ask(self, question, history):
            asked.append(question)
            return Reply(question, "clarify", "Which method do you mean?",
                         options=("Is the hug from behind safe?", "Is the child's pose safe?"))

    monkeypatch.setattr("assistant.interfaces.cli._load", lambda s: Fake())
    result = run("--data-dir", str(settings.data_dir), "chat", input="Is it safe?\n2\n")
    assert result.exit_code == 0 and "  2. Is the child's pose safe?" in result.output
    assert asked == ["Is it safe?", "Is the child's pose safe?"]


def test_jsonl_batch_answers_each_line_and_a_bad_line_does_not_stop_it(settings, bot):
    lines = ["How long should I hold the child's pose?",
             json.dumps({"id": "a", "question": "How long should I hold it?",
                         "history": ["How do I do the child's pose?"]}),
             "",
             '{"question": ',
             json.dumps({"question": "Is it safe?", "colour": "red"}),
             json.dumps({"question": "How long should I hold it?",
                         "history": [{"role": "user", "content": "How do I do the child's pose?"},
                                     {"role": "assistant", "content": "(earlier answer)"}]}),
             "x" * 2001,
             "I have numbness in my groin and I can't control my bladder"]
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "ask", "--jsonl", "-"],
                                input="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1 and len(out) == 7  # the blank line is skipped; the failures are reported
    assert [o.get("status") for o in out] == ["answered", "answered", None, None, "answered", None, "referral"]
    assert out[1]["id"] == "a" and out[1]["citations"][0]["section_id"] == "childs-pose"
    assert out[4]["citations"][0]["section_id"] == "childs-pose"
    assert out[2] == {"error": out[2]["error"], "line": 4} and "not valid JSON" in out[2]["error"]
    assert "colour" in out[3]["error"] and "limit is 2000" in out[5]["error"]
    assert out[6]["urgent"] is True


def test_jsonl_and_question_arguments_exclude_each_other(tmp_path):
    result = run("--data-dir", str(tmp_path), "ask", "--jsonl", "-", "How do I stretch?", input="")
    assert result.exit_code == 2 and "not both" in result.stderr
