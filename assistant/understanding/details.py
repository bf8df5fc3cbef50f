"""Detail kinds (lexicon/details.yaml): how a question asks for one detail of a method, and how a reply names
a detail the article does not give. Which sentence gives it is tagged in the corpus sidecar, not matched here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SettingsError

if TYPE_CHECKING:
    from ..records import Section


@dataclass(frozen=True)
class DetailKind:
    name: str
    asks: tuple[re.Pattern, ...]
    missing: str  # "how long to hold it": what "the article does not say ..." names
    should_match: tuple[str, ...] = ()
    should_not_match: tuple[str, ...] = ()
    routes_decide: bool = False  # naming a method and asking this does not by itself keep a question in scope
    by_term: bool = False  # the sentence that gives it is found by the word asked about, not by the method
    common: frozenset[str] = frozenset()  # words too common to be the word asked about
    of_named: bool = False  # asked only of a method named or in focus, never answered by the best-ranked one

    asked: re.Pattern = field(init=False, repr=False, compare=False)  # every pattern as one alternation

    def __post_init__(self) -> None:
        # one search for the kind instead of one for each pattern (the kinds are read for every question)
        object.__setattr__(self, "asked", re.compile("|".join(f"(?:{p.pattern})" for p in self.asks)))


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
                                bool(raw.get("routes_decide", False)), bool(raw.get("by_term", False)),
                                frozenset(raw.get("common") or ()), bool(raw.get("of_named", False)))
                     for name, raw in (data.get("kinds") or {}).items())
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise SettingsError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None


_HOW_GOES = re.compile(r"\bhow (exactly |actually )?(do|can|should|would|does) (i|we|you|one)\b|\bhow to\b|"
                       r"\bhow (i'?m|i am|you'?re|you are|we'?re) (supposed|meant) to\b|"
                       r"\bhow('?s| is) (that|it|this) done\b|\bhow (does|do) (that|it|this) (one )?go\b")
# a move described to name it ("the one where you kneel … and reach your arms out"), which asks no detail of it
_DESCRIBED = re.compile(r"\bthe (\w+ )?(one|stretch|move|exercise|position|pose|thing|technique|twist) "
                        r"(where|in which|when|that) [^?.!—–]*")


@lru_cache(maxsize=1024)  # scope and plan each ask it of the same text; ~0.15 ms a time over 33 kinds
def detail_kind(text: str, folder: str | None = None) -> str | None:
    """The first detail kind the (lower-cased) question's asking sentence asks for, else the first the whole
    question asks for: "…do yoga once a week. … where do my bum and feet go?" asks where, not how often."""
    from .lexicon import asking_part

    asking = asking_part(text)
    # a story's details are not asked when the asking sentence asks how a move goes ("my foot went numb sitting
    # on it… how do I set up the floor twist?" asks for the steps)
    how_it_goes = bool(_HOW_GOES.search(asking))
    story = asking != text and not how_it_goes
    if how_it_goes:
        asking = _DESCRIBED.sub(" ", asking)
    for part in ((asking, text) if story else (asking,)):
        for kind in detail_kinds(folder):
            if kind.asked.search(part):
                return kind.name
    return None


def detail_kinds_asked(text: str, folder: str | None = None) -> tuple[str, ...]:
    """Every detail kind the (lower-cased) question asks for, the first one first ("how long and how often?")."""
    return tuple(k.name for k in detail_kinds(folder) if k.asked.search(text))


def _kind(name: str | None, folder: str | None = None) -> DetailKind | None:
    return next((k for k in detail_kinds(folder) if k.name == name), None)


def missing_phrase(kind: str, folder: str | None = None) -> str:
    found = _kind(kind, folder)
    return found.missing if found else "that detail"


def keeps_in_scope(kind: str | None, folder: str | None = None) -> bool:
    """Whether asking this detail of a named method keeps the question on the article's ground."""
    found = _kind(kind, folder)
    return kind is not None and not (found and found.routes_decide)


_WORD = re.compile(r"\b[a-z]{5,}\b(?!')")  # not the stem of a contraction ("doesn't")


def of_named(kind: str | None, folder: str | None = None) -> bool:
    found = _kind(kind, folder)
    return bool(found and found.of_named)


def by_term(kind: str | None, folder: str | None = None) -> bool:
    found = _kind(kind, folder)
    return bool(found and found.by_term)


def giving_term(text: str, kind: str, sections: Iterable[Section]) -> str | None:
    """For a kind found by term ("what's the thoracic spine?"): the first section, in the order given, whose
    sentences tagged with that kind contain a long word of the (lower-cased) question; None when none does."""
    from .lexicon import asking_part

    found = _kind(kind)
    words = set(_WORD.findall(asking_part(text))) - (found.common if found else frozenset())
    for s in sections:
        by_id = {p.id: p for p in s.passages}
        for pid in s.details.get(kind, ()):
            p = by_id.get(pid)
            if p is not None and words & set(_WORD.findall(p.text.lower())):
                return s.id
    return None
