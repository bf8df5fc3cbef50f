"""Chat models for the optional LLM backends, built from settings; their packages load only when selected."""

from __future__ import annotations

from typing import Any

from ..errors import SettingsError
from ..settings import Settings

DEFAULT_MODELS = {"ollama": "llama3.2", "openai": "gpt-4o-mini"}


def chat_model(settings: Settings):
    """A LangChain chat model for `settings.backend` (ollama or openai), deterministic and with a timeout."""
    model = settings.llm_model or DEFAULT_MODELS[settings.backend]
    if settings.backend == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError:
            raise SettingsError(_missing("langchain-ollama")) from None
        return ChatOllama(model=model, base_url=settings.llm_base_url, temperature=0.0,
                          client_kwargs={"timeout": settings.llm_timeout})
    if settings.backend == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            raise SettingsError(_missing("langchain-openai")) from None
        key = settings.llm_api_key
        kwargs: dict[str, Any] = {"api_key": key} if key else {}
        if not key and settings.llm_base_url:  # a local server needs no key, but the client insists on one
            import os

            kwargs = {} if os.environ.get("OPENAI_API_KEY") else {"api_key": "not-needed"}
        try:
            return ChatOpenAI(model=model, base_url=settings.llm_base_url, temperature=0.0,
                              timeout=settings.llm_timeout, max_retries=0, **kwargs)
        except Exception as exc:  # e.g. no API key for the hosted service
            raise SettingsError(f"cannot set up the openai backend: {str(exc).splitlines()[0]}") from None
    raise SettingsError(f"backend {settings.backend!r} has no chat model")


def close_model(model) -> None:
    """Close the HTTP connections a chat model holds (ChatOpenAI's root client, ChatOllama's client)."""
    for name in ("root_client", "_client"):
        client = getattr(model, name, None)
        if client is not None and callable(getattr(client, "close", None)):
            try:
                client.close()
            except Exception:  # closing must never hide what led here
                pass


def _missing(package: str) -> str:
    return f"the {package} package is missing: install the LLM extra with pip install '.[llm]'"


def is_unreachable(exc: BaseException) -> bool:
    """A timeout or connection failure (as opposed to a model that answered badly)."""
    if isinstance(exc, OSError):  # TimeoutError and ConnectionError among them
        return True
    # the HTTP clients' own types (httpx, openai), named so neither package is imported here
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"Timeout", "TimeoutException", "ConnectError", "RemoteProtocolError",
                          "APIConnectionError"})
