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
