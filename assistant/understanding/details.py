"""Detail kinds (lexicon/details.yaml): how a question asks for one detail of a method, and how a reply names
a detail the article does not give. Which sentence gives it is tagged in the corpus sidecar, not matched here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import SettingsError


@dataclass(frozen=True)
class DetailKind:
    name: str
    asks: tuple[re.Pattern, ...]
    missing: str  # "how long to hold it": what "the article does not say ..." names
    should_match: tuple[str, ...] = ()
    should_not_match: tuple[str, ...] = ()
    routes_decide: bool = False  # naming a method and asking this does not by itself keep a question in scope


@cache
def detail_kinds(folder: str | None = None) -> tuple[DetailKind, ...]:
    import yaml

    from ..settings import SHIPPED
    from ..yamlfile import safe_load

    path = Path(folder or SHIPPED / "lexicon") / "details.yaml"
    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}
        return tuple(DetailKind(name, tuple(re.compile(p) for p in raw["asks"]), str(raw["missing"]),
                                tuple(raw.get("should_match") or ()), tuple(raw.get("should_not_match") or ()),
                                bool(raw.get("routes_decide", False)))
                     for name, raw in (data.get("kinds") or {}).items())
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise SettingsError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None


def detail_kind(text: str, folder: str | None = None) -> str | None:
    """The first detail kind the (lower-cased) question asks for."""
    for kind in detail_kinds(folder):
        if any(rx.search(text) for rx in kind.asks):
            return kind.name
    return None


def missing_phrase(kind: str, folder: str | None = None) -> str:
    return next((k.missing for k in detail_kinds(folder) if k.name == kind), "that detail")


def keeps_in_scope(kind: str | None, folder: str | None = None) -> bool:
    """Whether asking this detail of a named method keeps the question on the article's ground."""
    return kind is not None and not any(k.name == kind and k.routes_decide for k in detail_kinds(folder))
