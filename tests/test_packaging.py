"""The wheel: it carries the prompts, the default article and its sidecar, and answers from outside the repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_for_the_wheel():
    from setuptools import find_packages

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    assert set(find_packages(str(REPO), include=["assistant*"])) <= listed


@pytest.mark.slow
def test_the_built_wheel_answers_a_question_from_outside_the_repo(tmp_path):
    src = tmp_path / "src"  # a copy, so the build writes nothing into the checkout
    shutil.copytree(REPO / "assistant", src / "assistant", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("prompts", "corpus", "lexicon"):
        shutil.copytree(REPO / name, src / name)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist")],
                   cwd=src, check=True, capture_output=True, timeout=120)
    wheel = next((tmp_path / "dist").glob("backstretch-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"assistant/_data/prompts/replies.yaml", "assistant/_data/prompts/api.yaml",
            "assistant/_data/corpus/000_7984092486e2ea15.txt",
            "assistant/_data/corpus/000_7984092486e2ea15.meta.yaml", "assistant/interfaces/ui.css"} <= names

    # A fresh venv that sees this environment's dependencies through a .pth line (not its site dir, so the
    # editable install's finder stays out), with only the wheel installed into it.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True, timeout=120)

    elsewhere, home = tmp_path / "elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}  # no PYTHONPATH, no BACKSTRETCH_* settings
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import assistant; print(assistant.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(site))
    proc = subprocess.run([str(venv / "bin" / "backstretch"), "ask", "How long should I hold the child's pose?"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Hold this stretch for about 30 seconds while continuing to breathe. [1]" in proc.stdout
    assert "[1] Child's pose (step)\n" in proc.stdout
    assert (home / ".local" / "share" / "backstretch" / "chroma").is_dir()  # the index went to the user's data dir
    assert "Traceback" not in proc.stderr
