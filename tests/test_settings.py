"""One settings object: the environment is read in one place and bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import SettingsError
from assistant.settings import Settings


def test_environment_variables_set_fields():
    s = Settings.from_env({"BACKSTRETCH_DATA_DIR": "/tmp/x", "BACKSTRETCH_TOP_K": "3",
                           "BACKSTRETCH_CHROMA_HOST": "127.0.0.1", "BACKSTRETCH_MIN_RELEVANCE": "0.5"})
    assert (s.data_dir, s.top_k, s.chroma_host, s.min_relevance) == (Path("/tmp/x"), 3, "127.0.0.1", 0.5)
    assert s.server_mode and s.chroma_path == Path("/tmp/x/chroma")


def test_explicit_overrides_win_over_the_environment():
    s = Settings.from_env({"BACKSTRETCH_DATA_DIR": "/tmp/x"}, data_dir=Path("/tmp/y"))
    assert s.data_dir == Path("/tmp/y")


@pytest.mark.parametrize("env, named", [
    ({"BACKSTRETCH_TOP_K": "many"}, "BACKSTRETCH_TOP_K"),
    ({"BACKSTRETCH_TOP_K": "0"}, "top_k"),
    ({"BACKSTRETCH_MIN_RELEVANCE": "2"}, "min_relevance"),
])
def test_bad_values_are_rejected_by_name(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_every_setting_is_described():
    rows = Settings.describe()
    assert len(rows) >= 10 and all(var.startswith("BACKSTRETCH_") and doc for var, _, doc in rows)


def test_plain_construction_reads_no_environment(monkeypatch):
    monkeypatch.setenv("BACKSTRETCH_TOP_K", "3")
    assert Settings().top_k == 5 and Settings.from_env().top_k == 3


@pytest.mark.parametrize("field", ["ui_password", "llm_api_key", "api_key"])
def test_secrets_never_print(field):
    s = Settings(**{field: "hunter2-secret"})
    shown = [repr(s), str(s), s.model_dump_json(), repr(getattr(s, field))]
    assert not any("hunter2" in text for text in shown)
    assert getattr(s, field).get_secret_value() == "hunter2-secret"


def test_a_dotenv_file_is_read_and_the_environment_wins_over_it(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("BACKSTRETCH_TOP_K=4\nBACKSTRETCH_API_KEY=from-file\nOTHER_TOOL=ignored\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env()
    assert s.top_k == 4 and s.api_key.get_secret_value() == "from-file"
    monkeypatch.setenv("BACKSTRETCH_TOP_K", "2")
    assert Settings.from_env().top_k == 2
    assert Settings.from_env({"BACKSTRETCH_TOP_K": "7"}, env_file=env).top_k == 7


def test_an_unknown_setting_in_the_dotenv_file_is_named(tmp_path):
    env = tmp_path / ".env"
    env.write_text("BACKSTRETCH_TOPK=4\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="topk is not a setting"):
        Settings.from_env({}, env_file=env)


@pytest.mark.parametrize("kwargs, line", [
    ({"backend": "gpt"}, "backend must be one of extractive, ollama, openai, got 'gpt' (BACKSTRETCH_BACKEND)"),
    ({"log_level": "loud"}, "log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ({"llm_timeout": -1}, "llm_timeout must be greater than 0, got -1 (BACKSTRETCH_LLM_TIMEOUT)"),
    ({"colour": "red"}, "colour is not a setting"),
])
def test_a_bad_value_is_one_line_naming_the_field(kwargs, line):
    with pytest.raises(SettingsError) as err:
        Settings(**kwargs)
    assert line in str(err.value) and "\n" not in str(err.value)


def test_the_log_level_is_applied_to_the_package_logger():
    import logging

    Settings.from_env({"BACKSTRETCH_LOG_LEVEL": "debug"}).configure_logging()
    try:
        assert logging.getLogger("assistant.app").getEffectiveLevel() == logging.DEBUG
    finally:
        Settings().configure_logging()
    assert logging.getLogger("assistant").level == logging.WARNING


def test_with_validates_its_changes():
    assert Settings().with_(top_k=2).top_k == 2
    with pytest.raises(SettingsError, match="top_k"):
        Settings().with_(top_k=0)


def test_the_readme_settings_table_is_generated_from_the_settings_object():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert Settings.markdown_table() in readme, "regenerate it: python -c 'from assistant import Settings; " \
        "print(Settings.markdown_table())'"
