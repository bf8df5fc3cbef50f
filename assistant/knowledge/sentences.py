"""Text rules: sentence spans and the rule-based kind of a sentence (used where no sidecar says)."""

from __future__ import annotations

import re

# A sentence ends at . ! or ? (optionally closed by a bracket or quote) followed by a capital,
# with or without a space: the article has "type).As such" and "pose.Again".
_BOUNDARY = re.compile(r"(?<=[.!?])[)\"']?\s*(?=[A-Z])")
# Scraping left-overs around the article's lines: a leading ", " and a trailing ";".
_LEAD = re.compile(r"^[\s,;]+")
_TRAIL = re.compile(r"[\s;,]+$")

_WARNING = re.compile(
    r"\b(never|don'?t|do not|avoid|careful|risk|risky|injur\w*|damage|danger\w*|broken|fractur\w*|"
    r"hyperextend\w*|overextend\w*|sore|not (?:be )?appropriate|only be attempted|adequate training|"
    r"osteoarthritis)\b|^(always|never)\b",
    re.IGNORECASE,
)
_TIP = re.compile(
    r"^(use your|wear|pick up|try to|you may|your may|you can|it takes|this is|the area|the spinal area|"
    r"in this position)\b|\b(likely to crack|most likely|may feel|might feel)\b",
    re.IGNORECASE,
)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past white space and scraping punctuation at both ends."""
    piece = text[start:end]
    lead = _LEAD.match(piece)
    if lead:
        start += lead.end()
    piece = text[start:end]
    trail = _TRAIL.search(piece)
    if trail:
        end = start + trail.start()
    return start, end


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Exact (start, end) spans of the sentences inside text[start:end], trimmed."""
    spans = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.start() + (len(match.group(0)) - len(match.group(0).lstrip(")\"'")))
        spans.append(trim(text, cursor, cut))
        cursor = match.end()
    spans.append(trim(text, cursor, end))
    return [(s, e) for s, e in spans if e > s]


def rule_kind(sentence: str, *, in_intro: bool) -> str:
    """intro / step / warning / tip for a sentence, by wording alone."""
    if _WARNING.search(sentence):
        return "warning"
    if in_intro:
        return "intro"
    if _TIP.search(sentence):
        return "tip"
    return "step"


def first_words(sentence: str, limit: int = 8) -> str:
    """A short title from a sentence: its first words, without trailing punctuation."""
    words = sentence.split()
    title = " ".join(words[:limit]).rstrip(".,;:!?")
    return title + ("…" if len(words) > limit else "")
