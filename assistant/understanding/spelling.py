"""Typo tolerance: words neither English nor the article's, one or two edits from the article's words, are corrected."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_REPEATS = re.compile(r"(\w)\1+")


def _letter_words(text: str) -> list[str]:
    """The lower-cased words of 2+ letters in any script ("Rückenschmerzen" is one word)."""
    return [w.lower() for w in _LETTERS.findall(text)]


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


class WordList:
    """A large set of words in little memory, for membership tests: the words' UTF-8 bytes in one sorted numpy
    array per byte length (about 2 MB for pyspellchecker's 160,000 English words, where a Python set takes 24)."""

    def __init__(self, by_length: dict[int, Any]) -> None:  # byte length -> sorted numpy bytes array
        self._by_length = by_length

    @classmethod
    def of(cls, words) -> WordList:
        import numpy as np

        groups: dict[int, list[bytes]] = {}
        for w in words:
            b = w.encode("utf-8")
            groups.setdefault(len(b), []).append(b)
        return cls({n: np.array(sorted(g), dtype=f"S{n}") for n, g in groups.items() if n})

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        import numpy as np

        b = word.encode("utf-8")
        arr = self._by_length.get(len(b))
        if arr is None:
            return False
        i = int(np.searchsorted(arr, b))
        return i < len(arr) and arr[i] == b

    def __iter__(self):
        for arr in self._by_length.values():
            for b in arr:
                yield b.decode("utf-8")

    def __len__(self) -> int:
        return sum(len(a) for a in self._by_length.values())

    def save(self, path: Path) -> None:
        import numpy as np

        with open(path, "wb") as f:
            np.savez(f, **{f"L{n}": a for n, a in self._by_length.items()})

    @classmethod
    def load(cls, path: Path) -> WordList:
        import numpy as np

        with np.load(path, allow_pickle=False) as data:
            return cls({int(k[1:]): data[k] for k in data.files})


def english_words(cache_dir: Path | None = None) -> WordList:
    """The English word list shipped inside pyspellchecker (no download): words that are not typos.

    With `cache_dir`, the list is kept there as a WordList file named by the hash of pyspellchecker's list
    (loading it takes a tenth of unpacking the list, which every fresh process answering a question would pay)."""
    path = None
    if cache_dir is not None:
        try:
            source = _english_source()
            with open(source, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()[:16]
            path = Path(cache_dir) / f"english-words-{digest}.npz"
            return WordList.load(path)
        except (OSError, ValueError, KeyError) as exc:  # not cached yet, or unreadable: unpacked below
            log.debug("English words not read from the cache: %s", exc)
    from spellchecker import SpellChecker

    words = WordList.of(SpellChecker().word_frequency.dictionary)
    if path is not None:
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            words.save(partial)
            os.replace(partial, path)
        except OSError as exc:  # a read-only data dir costs the unpacking again next time
            log.debug("could not cache the English words at %s: %s", path, exc)
        finally:
            partial.unlink(missing_ok=True)
    return words


def _english_source() -> Path:
    """pyspellchecker's English list, found without importing it (its import is most of the cost)."""
    from importlib.util import find_spec

    spec = find_spec("spellchecker")
    if spec is None or not spec.submodule_search_locations:
        raise OSError("pyspellchecker is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "en.json.gz"


class Speller:
    """Corrects words of 3+ letters that are neither in `known` nor the vocabulary, to a near vocabulary word.

    `known` may be a function returning the set: it is then called the first time a word is not the
    article's own (a question in the article's words never loads the English list)."""

    def __init__(self, words: Counter, known=frozenset(), shorthand: dict[str, str] | None = None) -> None:
        self.words = words
        self._known = known
        # chat shorthand spelled out first ("ur on ur back" reads "your on your back"), whole words only
        self.shorthand = {k.lower(): v for k, v in (shorthand or {}).items()}
        self._shorthand = re.compile(r"(?<![\w'/])(" + "|".join(map(re.escape, sorted(self.shorthand, key=len,
                                                                                      reverse=True)))
                                     + r")(?![\w'/])", re.IGNORECASE) if self.shorthand else None
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

    def known_share(self, text: str) -> float | None:
        """The share of the (corrected) text's words of 2+ letters that are English or the article's own; None when it
        has fewer than three such words to judge by."""
        return self._share(_letter_words(text))

    def _share(self, words: list[str]) -> float | None:
        return sum(self._knows(w) for w in words) / len(words) if len(words) >= 3 else None

    def unreadable(self, text: str) -> str | None:
        """Why the (corrected) text cannot be read as a question in English: "unclear" when no word of it is a word
        ("asdfgh"), "language" when fewer than half its words are English or the article's ("Ich habe
        Rückenschmerzen…"; the least share among the eval sets' questions is 0.60); None when it can be."""
        words = _letter_words(text)
        if words and all(len(w) >= 4 and not self._knows(w) for w in words):
            return "unclear"
        share = self._share(words)
        return "language" if share is not None and share < 0.5 else None

    def _knows(self, word: str) -> bool:
        return any(w in self.words or w in self.known or w in self.shorthand
                   for w in (word, _REPEATS.sub(r"\1", word)))  # "heyy", "sooo": a word drawn out

    def correct(self, text: str) -> str:
        if self._shorthand is not None:
            text = self._shorthand.sub(lambda m: self.shorthand[m.group(0).lower()], text)
        return _WORD.sub(lambda m: self.word(m.group(0)), text)
