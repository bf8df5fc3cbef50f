"""Checking a model's answer against the numbered passages it was given, sentence by sentence.

A sentence is kept only if it cites passages that were given ([n] within 1..N), every quotation in it is
verbatim in a passage it cites, and most of its content words come from the passages it cites (an invented
step cites a real passage but says something the passage does not). The answer as a whole is grounded only if
some sentence survives and every warning of each method it describes is cited by a surviving sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from ..knowledge.library import Library
from ..records import Citation

_MARKS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SENTENCE = re.compile(r".+?(?:[.!?]+[\"'”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(?=\s|$)|$)", re.S)
_QUOTED = re.compile(r"[\"“]([^\"“”]{3,}?)[\"”]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words any faithful paraphrase may add: they carry no claim about the move.
_GLUE = frozenset("""
article passage passages says say according mentions suggests recommends notes warns advises explains describes
also then next first second third finally after before while once again make sure try keep gently slowly step steps
you your yourself it its this that these those one can may might should could would will do does doing
""".split())


@dataclass
class Sentence:
    text: str  # as the model wrote it, markers included
    cited: tuple[int, ...]  # the passage numbers it cites, as given to the model
    reason: str = ""  # why it was dropped; empty when kept
    line: int = 0  # which line of the answer it sits on, so kept sentences keep the model's layout
    bullet: str = ""  # the list marker ("1. ", "- ") of its line, shown before the line's first kept sentence


@dataclass
class Verdict:
    """The outcome of checking one model answer."""

    kept: list[Sentence] = field(default_factory=list)
    dropped: list[Sentence] = field(default_factory=list)
    missing_warnings: list[Citation] = field(default_factory=list)
    answer: str = ""  # the kept sentences, renumbered 1..M in order of first citation
    citations: list[Citation] = field(default_factory=list)

    @property
    def grounded(self) -> bool:
        return bool(self.kept) and not self.missing_warnings


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a model answer; list items and lines are sentences of their own, markers stay attached."""
    out: list[Sentence] = []
    for i, line in enumerate(text.splitlines()):
        bullet = _LIST_ITEM.match(line)
        body = line[bullet.end():] if bullet else line
        for m in _SENTENCE.finditer(body.strip()):
            piece = m.group(0).strip()
            if not piece:
                continue
            if out and not _MARKS.sub("", piece).strip(" .;,"):  # markers alone belong to the sentence before
                out[-1].text += " " + piece
                continue
            out.append(Sentence(piece, (), line=i, bullet=bullet.group(0).strip() + " " if bullet else ""))
    for s in out:
        s.cited = cited_numbers(s.text)
    return out


def cited_numbers(sentence: str) -> tuple[int, ...]:
    found: list[int] = []
    for m in _MARKS.finditer(sentence):
        found += [int(x) for x in m.group(1).split(",") if int(x) not in found]
    return tuple(found)


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _stopwords() -> frozenset[str]:
    from ..understanding.retrieval import import_bm25s

    return frozenset(import_bm25s().stopwords.STOPWORDS_EN) | _GLUE


@lru_cache(maxsize=2048)  # the same passages are scored against every sentence that cites them
def content_words(text: str) -> frozenset[str]:
    words = [w for w in _WORD.findall(_plain(text)) if w not in _stopwords() and len(w) > 1]
    return frozenset(_stemmer().stemWords(words))


def _plain(text: str) -> str:
    text = _MARKS.sub(" ", text).lower()
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("‘", "'")).strip()


def support(sentence: str, passages: list[str]) -> float:
    """Share of the sentence's content words that occur in the given passages (1.0 for a sentence without any)."""
    words = content_words(sentence)
    if not words:
        return 1.0
    have = set().union(*(content_words(p) for p in passages)) if passages else set()
    return len(words & have) / len(words)


def check_sentence(s: Sentence, given: list[Citation], extra_words: str, min_support: float) -> Sentence:
    """Set `s.reason` when the sentence fails a check."""
    sentence, cited = s.text, s.cited
    if not cited:
        s.reason = "cites no passage"
    elif any(not 1 <= n <= len(given) for n in cited):
        s.reason = f"cites [{next(n for n in cited if not 1 <= n <= len(given))}], which was not given"
    else:
        texts = [given[n - 1].quote for n in cited]
        for quoted in _QUOTED.findall(sentence):
            if not any(_plain(quoted) in _plain(t) for t in texts):
                s.reason = f"quotes {quoted[:40]!r}, which is not verbatim in the passages it cites"
                break
        else:
            score = support(sentence, [*texts, extra_words])
            if score < min_support:
                s.reason = f"only {score:.0%} of its content is in the passages it cites"
    return s


def titles_of(given: list[Citation]) -> str:
    """The methods' titles, words a sentence may use without inventing anything ("the child's pose")."""
    return " ".join(dict.fromkeys(c.section_title for c in given))


def verify(answer: str, given: list[Citation], library: Library, min_support: float) -> Verdict:
    """Check each sentence of a whole answer, then judge it (`judge`)."""
    titles = titles_of(given)
    return judge([check_sentence(s, given, titles, min_support) for s in split_sentences(answer)], given, library)


def judge(checked: list[Sentence], given: list[Citation], library: Library) -> Verdict:
    """The verdict on sentences already checked: every warning of each described method must be cited by a
    kept sentence; the kept ones are renumbered."""
    verdict = Verdict(kept=[s for s in checked if not s.reason], dropped=[s for s in checked if s.reason])
    cited = {n for s in verdict.kept for n in s.cited}
    described = {given[n - 1].section_id for n in cited if given[n - 1].kind != "warning"}
    for i, c in enumerate(given, start=1):
        if c.kind == "warning" and i not in cited and _warning_of(c, described, library):
            verdict.missing_warnings.append(c)
    verdict.answer, verdict.citations = _renumber(verdict.kept, given)
    return verdict


def _warning_of(warning: Citation, described: set[str], library: Library) -> bool:
    """A method's own warning, or an article-wide caution that goes with a described method."""
    if warning.section_id in described:
        return True
    for sid in described:
        section = library.section(sid)
        if section and any(p.source == warning.source and p.start <= warning.start < p.end
                           for p in library.cautions_for(section)):
            return True
    return False


def renumber_markers(text: str, order: dict[int, int]) -> str:
    """Rewrite [n] (and [n, m]) markers through `order`, as [n'][m']."""
    return _MARKS.sub(lambda m: "".join(f"[{order[int(x)]}]" for x in m.group(1).split(",")), text)


def _renumber(kept: list[Sentence], given: list[Citation]) -> tuple[str, list[Citation]]:
    """Number the passages the kept sentences cite 1..M in order of first citation, and rewrite the markers."""
    order: dict[int, int] = {}
    for s in kept:
        for n in s.cited:
            order.setdefault(n, len(order) + 1)
    lines: dict[int, list[str]] = {}
    for s in kept:
        parts = lines.setdefault(s.line, [])
        parts.append(("" if parts else s.bullet) + renumber_markers(s.text, order))
    text = "\n".join(" ".join(parts) for parts in lines.values())
    citations = [replace(given[old - 1], n=new) for old, new in order.items()]
    return text, citations
