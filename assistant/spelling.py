"""Typo tolerance: unknown words one or two edits from the article's own vocabulary are corrected."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z][A-Za-z']+")


def vocabulary(texts: list[str]) -> Counter:
    return Counter(w.lower() for t in texts for w in _WORD.findall(t))


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


class Speller:
    """Corrects words of 4+ letters that the vocabulary lacks, to its most frequent near neighbour."""

    def __init__(self, words: Counter) -> None:
        self.words = words
        self._by_initial: dict[str, list[str]] = {}
        for w in words:
            self._by_initial.setdefault(w[0], []).append(w)

    def word(self, token: str) -> str:
        low = token.lower()
        if len(low) < 4 or low in self.words:
            return token
        limit = 1 if len(low) < 8 else 2
        best = None
        for cand in self._by_initial.get(low[0], ()):
            d = _distance(low, cand, limit)
            if d <= limit and (best is None or (d, -self.words[cand]) < (best[0], -self.words[best[1]])):
                best = (d, cand)
        return best[1] if best else token

    def correct(self, text: str) -> str:
        return _WORD.sub(lambda m: self.word(m.group(0)), text)
