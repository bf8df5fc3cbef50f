"""The citation check every reply passes before anyone sees it."""

from __future__ import annotations

import re

from ..errors import CitationError
from ..knowledge.library import Library
from ..records import Citation

_MARK = re.compile(r"\[(\d+)\]")


def check(answer: str, citations: list[Citation], library: Library) -> None:
    """Raise CitationError unless every citation is an exact source span, quoted and referenced.

    - numbers run 1..N without gaps;
    - `quote == source_text[start:end]` for the file the citation names;
    - each quote appears verbatim in the answer next to its marker;
    - every [n] in the answer names a citation, and every citation is used.
    """
    check_spans(citations, library)
    for c in citations:
        if f"{c.quote} [{c.n}]" not in answer:
            raise CitationError(f"citation [{c.n}] is not quoted verbatim in the answer")
    check_markers(answer, citations)


def check_cited(answer: str, citations: list[Citation], library: Library) -> None:
    """The check for a model's own wording: exact spans and matching markers; the wording itself was checked
    sentence by sentence against the cited spans (`verification.verify`)."""
    check_spans(citations, library)
    check_markers(answer, citations)


def check_spans(citations: list[Citation], library: Library) -> None:
    for i, c in enumerate(citations, start=1):
        if c.n != i:
            raise CitationError(f"citation numbers are not 1..N: found {c.n} at position {i}")
        try:
            source = library.source_text(c.source)
        except KeyError:
            raise CitationError(f"citation [{c.n}] names an unknown source {c.source!r}") from None
        if not (0 <= c.start < c.end <= len(source)) or source[c.start:c.end] != c.quote:
            raise CitationError(f"citation [{c.n}] is not an exact span of {c.source} at {c.start}:{c.end}")


def check_markers(answer: str, citations: list[Citation]) -> None:
    used = {int(m) for m in _MARK.findall(answer)}
    known = {c.n for c in citations}
    if used - known:
        raise CitationError(f"the answer cites [{min(used - known)}] but no such citation exists")
    if known - used:
        raise CitationError(f"citation [{min(known - used)}] is never referenced in the answer")
