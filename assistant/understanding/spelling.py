"""Typo tolerance: words neither English nor the article's, one or two edits from the article's words, are corrected."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z][A-Za-z']+")


def vocabulary(texts: list[str]) -> Counter:
    return Counter(w.lower() for t in texts for w in _WORD.findall(t))


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment); limit + 1 past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def english_words():
    """The English word list shipped inside pyspellchecker (no download): words that are not typos."""
    from spellchecker import SpellChecker

    return SpellChecker().word_frequency.dictionary


class Speller:
    """Corrects words of 3+ letters that are neither in `known` nor the vocabulary, to a near vocabulary word.

    `known` may be a function returning the set: it is then called the first time a word is not the
    article's own (a question in the article's words never loads the English list)."""

    def __init__(self, words: Counter, known=frozenset()) -> None:
        self.words = words
        self._known = known
        self._by_initial: dict[str, list[str]] = {}
        for w in words:
            self._by_initial.setdefault(w[0], []).append(w)

    @property
    def known(self):
        if callable(self._known):
            self._known = self._known()
        return self._known

    def word(self, token: str) -> str:
        low = token.lower()
        if len(low) < 3 or low in self.words or low in self.known:
            return token
        limit = 1 if len(low) < 8 else 2
        # nearest first; then a word at least as long (dropped letters are the commoner slip); then the commoner word
        ranked = []
        for cand in self._by_initial.get(low[0], ()):
            d = _distance(low, cand, limit)
            if d <= limit:
                ranked.append((d, len(cand) < len(low), -self.words[cand], cand))
        return min(ranked)[-1] if ranked else token

    def correct(self, text: str) -> str:
        return _WORD.sub(lambda m: self.word(m.group(0)), text)
