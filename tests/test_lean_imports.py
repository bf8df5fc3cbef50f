"""The question path loads only what it uses: optional packages hidden and import-time-only packages stood in for
while a library loads, and nothing of that left behind for the rest of the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from assistant.lean_imports import lean

# Heavy packages a fresh answer used to import without needing them: QuickUMLS drags in nltk, scikit-learn, scipy
# and pandas; spaCy's CLI package; LangChain's Runnable, retriever and tracer machinery; medspaCy's PyRuSH sentence
# splitter (with loguru). LangChain itself is not imported at all (the embeddings have its interface without it).
UNUSED = ("torch", "sentence_transformers", "quickumls", "nltk", "sklearn", "scipy", "pandas", "spacy.cli",
          "langchain_core", "langsmith", "PyRuSH", "loguru")


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """`heavy` (an optional dependency), `registry` (imported only to register something) and `light`, which
    imports both the way bm25s and medspaCy do."""
    (tmp_path / "heavy").mkdir()
    (tmp_path / "heavy" / "__init__.py").write_text("LOADED = True\n")
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "__init__.py").write_text("def describe(x):\n    return f'real {x}'\n")
    (tmp_path / "registry" / "component.py").write_text("NAME = 'component'\n")
    (tmp_path / "light.py").write_text(textwrap.dedent("""
        try:
            import heavy
            HEAVY = True
        except ImportError:
            HEAVY = False
        from registry import component, describe
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("light", "heavy", "registry", "registry.component"):
        sys.modules.pop(name, None)


def test_a_hidden_package_is_absent_inside_the_block_and_importable_after_it(packages):
    with lean(hidden=("heavy",)):
        import light  # noqa: F401
    assert sys.modules["light"].HEAVY is False
    import heavy

    assert heavy.LOADED is True


def test_a_stand_in_calls_the_real_name_when_used_and_leaves_sys_modules_after_the_block(packages):
    with lean(stand_ins=("registry",)):
        import light
    assert "registry" not in sys.modules and "registry.component" not in sys.modules
    assert light.describe("call") == "real call"  # the real function, imported on first use
    import registry.component

    assert registry.component.NAME == "component"


def test_a_deferred_package_is_imported_when_a_name_is_first_taken_and_its_names_are_the_real_ones(packages,
                                                                                                 tmp_path):
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "__init__.py").write_text("class Frame:\n    pass\n")
    (tmp_path / "user.py").write_text("import frames\n\ndef is_frame(x):\n    return isinstance(x, frames.Frame)\n")
    try:
        with lean(deferred=("frames",)):
            import user
        assert "frames" not in sys.modules  # imported by the library, not loaded
        assert user.is_frame(object()) is False  # the first name taken loads the real package
        import frames

        assert user.is_frame(frames.Frame()) is True and user.frames.Frame is frames.Frame
    finally:
        for name in ("user", "frames"):
            sys.modules.pop(name, None)


def test_an_already_imported_package_is_left_as_it_is(packages):
    import heavy

    with lean(hidden=("heavy",)):
        import light
    assert light.HEAVY is True and sys.modules["heavy"] is heavy


def test_a_fresh_answer_imports_none_of_the_unused_packages_and_still_reads_red_flags_with_medspacy(bot, settings):
    code = textwrap.dedent(f"""
        import sys
        from assistant import Assistant, Settings
        bot = Assistant.load(Settings(data_dir={str(settings.data_dir)!r}), build=False)
        replies = [bot.ask(q) for q in ("How do I use a foam roller on my back?",
                                        "My back aches and I have numbness in my groin",
                                        "I don't have any numbness in my groin; how do I do the child's pose?")]
        print(*[r.status for r in replies], replies[1].flag)
        print("MEDSPACY", "medspacy.context" in sys.modules)
        print("UNUSED", *sorted(m for m in {UNUSED!r} if m in sys.modules))
        import quickumls, scipy.sparse, spacy
        print("AFTER", type(quickumls.QuickUMLS).__name__, scipy.sparse.__name__, isinstance(spacy.info(), dict))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["answered", "referral", "answered", "cauda_equina"]
    assert lines[1:] == ["MEDSPACY True", "UNUSED", "AFTER type scipy.sparse True"], out.stderr
