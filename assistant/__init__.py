"""Backstretch: grounded answers about one article on stretching and cracking your back safely.

Everything loads on first use (PEP 562), so importing this, or `backstretch --help`, costs almost nothing:
torch and chromadb load when an Assistant is built, pydantic when Settings is first touched.
"""

from importlib import import_module

_EXPORTS = {
    "Assistant": ".app", "BackstretchError": ".errors", "CitationError": ".errors", "IndexUnavailable": ".errors",
    "InvalidQuestion": ".errors", "Citation": ".records", "Passage": ".records", "Reply": ".records",
    "Section": ".records", "Settings": ".settings",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
