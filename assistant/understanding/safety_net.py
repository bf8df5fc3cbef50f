"""The semantic safety net: red flags in words the lexicon does not have, found clause by clause.

Exemplar banks (lexicon/red_flag_exemplars.yaml) hold short lay clauses per SAFETY.md group, and `ordinary` clauses
that sound close but are what the article is for. Each clause of a question (cut by the clinical reader) is embedded
on its own, since a whole long question dilutes a sign in it, and counts for a group when it is near enough to that
group's bank and clearly nearer to it than to the ordinary bank. The net only adds a referral where the lexicon
found none, and never judges a clause that ConText marks as negated, someone else's, transient, or past (past
counts only for the groups whose bank says so).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SettingsError
from .clinical import Clause, Reading
from .router import Route, Router, RouteTable

if TYPE_CHECKING:
    from ..knowledge.embeddings import Embedder

log = logging.getLogger(__name__)
ORDINARY = "ordinary"
VERDICTS = 4096  # questions whose verdict is remembered
# the ConText categories that keep a clause from the net (HISTORICAL keeps it only from the groups whose bank
# does not say `history_counts`, decided per group in `_decide`)
IGNORED = frozenset({"NEGATED_EXISTENCE", "OTHER_EXPERIENCER", "TRANSIENT", "HYPOTHETICAL", "INTENTIONAL",
                     "CHRONIC", "GENERIC"})


@dataclass(frozen=True)
class Bank:
    group: str
    exemplars: tuple[str, ...]
    history_counts: bool = False
    should_match: tuple[str, ...] = ()
    should_not_match: tuple[str, ...] = ()


@dataclass(frozen=True)
class Banks:
    groups: tuple[Bank, ...]
    ordinary: tuple[str, ...]
    threshold: float
    margin: float
    min_words: int
    model: str  # the embedding model the thresholds were chosen with
    gate: float = -1.0  # a clause pooled from the question's own pass must score this to be embedded alone
    second_pass: int = 2  # how many such clauses (the nearest first) are embedded alone

    def fits(self, embeddings: Embedder) -> bool:
        """Whether `embeddings` is the model the thresholds were chosen for (any other reads the banks apart)."""
        return getattr(embeddings, "model_name", None) == self.model

    @classmethod
    def load(cls, folder: Path) -> Banks:
        return _load(str(Path(folder).resolve()))

    def table(self) -> RouteTable:
        routes = [Route(b.group, "article", b.group, b.exemplars) for b in self.groups]
        return RouteTable((*routes, Route(ORDINARY, "article", ORDINARY, self.ordinary)), {})


@cache
def _load(folder: str) -> Banks:
    import yaml

    from ..yamlfile import safe_load

    path = Path(folder) / "red_flag_exemplars.yaml"
    try:
        data = safe_load(path.read_text(encoding="utf-8"))  # libyaml's parser, like the rest of the lexicon
        groups = tuple(Bank(name, tuple(map(str, raw["exemplars"])), bool(raw.get("history_counts")),
                            tuple(map(str, raw.get("should_match") or ())),
                            tuple(map(str, raw.get("should_not_match") or ())))
                       for name, raw in (data.get("groups") or {}).items())
        banks = Banks(groups, tuple(map(str, data["ordinary"])), float(data["threshold"]), float(data["margin"]),
                      int(data.get("min_words", 3)), str(data["model"]), float(data.get("gate", -1.0)),
                      int(data.get("second_pass", 2)))
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SettingsError(f"{path}: {str(exc).splitlines()[0] or type(exc).__name__}") from None
    if not groups or not all(b.exemplars for b in groups) or not banks.ordinary:
        raise SettingsError(f"{path}: every group needs exemplars, and `ordinary` must not be empty")
    return banks


@dataclass(frozen=True)
class NetFinding:
    group: str
    clause: str
    score: float  # cosine to the group's nearest exemplar
    lead: float  # over the ordinary bank's nearest


class SafetyNet:
    """The banks' vectors (embedded once, cached by content hash) and the decision for one reading."""

    def __init__(self, banks: Banks, embeddings: Embedder, cache_dir: Path | None = None,
                 urgent: frozenset[str] = frozenset()) -> None:
        self.banks = banks
        self.urgent = urgent  # groups that need emergency care: the most urgent group that passes wins, as in triage
        self.embeddings = embeddings
        self.router = Router(banks.table(), embeddings, cache_dir)
        self._history = {b.group for b in banks.groups if b.history_counts}
        self._verdicts: OrderedDict[str, NetFinding | None] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path, embeddings: Embedder, cache_dir: Path | None = None) -> SafetyNet | None:
        """The net for `embeddings`, or None (logged) when they are not the model its thresholds were chosen for."""
        banks = Banks.load(folder)
        if not banks.fits(embeddings):
            log.info("semantic safety net off: its thresholds are for %s, questions are embedded with %s",
                     banks.model, getattr(embeddings, "model_name", type(embeddings).__name__))
            return None
        from .clinical import RedFlagLexicon

        return cls(banks, embeddings, cache_dir, RedFlagLexicon.load(folder).emergency_groups)

    def judged(self, clause: Clause, mover_other: bool) -> bool:
        if len(clause.text.split()) < self.banks.min_words:
            return False
        ignored = IGNORED - ({"OTHER_EXPERIENCER"} if mover_other else set())
        return not clause.flags & ignored and ("HISTORICAL" not in clause.flags or bool(self._history))

    def find(self, reading: Reading, text: str | None = None,
             discounted: tuple[tuple[int, int], ...] = ()) -> NetFinding | None:
        """The clause nearest to a red-flag bank past the threshold and the margin, if any. With the question's
        `text` (the one the reading is of) and an encoder that gives token states, each clause is first pooled
        from the question's own pass (which retrieval then reuses), and only a clause near a bank there is
        embedded on its own; a clause that is the whole question uses the question's vector. A clause overlapping
        a `discounted` span (a sign the lexicon found and ConText discounted, by character offsets) is not judged."""
        clauses = [c for c in reading.clauses if self.judged(c, reading.mover_other)
                   and not any(a < c.end and c.start < b for a, b in discounted)]
        if not clauses:
            return None
        if text is None or not hasattr(self.embeddings, "embed_query_with_tokens"):
            return self._decide(clauses, self.embeddings.embed_documents([c.text for c in clauses]))
        with self._lock:
            if text in self._verdicts:  # a question asked again (the reading is the text's own)
                self._verdicts.move_to_end(text)
                return self._verdicts[text]
        found = self._decide(*self._gated(clauses, text))
        with self._lock:
            self._verdicts[text] = found
            if len(self._verdicts) > VERDICTS:
                self._verdicts.popitem(last=False)
        return found

    def _gated(self, clauses: list[Clause], text: str) -> tuple[list[Clause], list]:
        import numpy as np

        question, hidden, offsets = self.embeddings.embed_query_with_tokens(text)  # type: ignore[attr-defined]
        whole = text.strip(" \t\n?!.,")
        kept, vectors, alone = [], [], []
        for clause in clauses:
            if text[clause.start:clause.end].strip(" \t\n?!.,") == whole:
                kept.append(clause)
                vectors.append(question)  # the question's own vector
                continue
            rows = [i for i, (a, b) in enumerate(offsets) if b > a and a >= clause.start and b <= clause.end]
            if not rows:
                continue
            pooled = hidden[rows].mean(axis=0)
            scores = self.router.scores(pooled / max(float(np.linalg.norm(pooled)), 1e-12))
            scores.pop(ORDINARY)
            nearest = max(scores.values())
            if nearest >= self.banks.gate:
                alone.append((nearest, clause))
        # the clauses nearest a bank in the pooled look, at most `second_pass` of them (a pass costs about half
        # a question's, however short the clause)
        chosen = [c for _, c in sorted(alone, key=lambda sc: -sc[0])[:self.banks.second_pass]]
        if chosen:
            kept += chosen
            vectors += self.embeddings.embed_documents([c.text for c in chosen])
        return kept, vectors

    def _decide(self, clauses: list[Clause], vectors) -> NetFinding | None:
        best: NetFinding | None = None
        for clause, vector in zip(clauses, vectors, strict=True):
            scores = self.router.scores(vector)
            ordinary = scores.pop(ORDINARY)
            for group, score in scores.items():
                if "HISTORICAL" in clause.flags and group not in self._history:
                    continue
                if score >= self.banks.threshold and score - ordinary >= self.banks.margin and (
                        best is None or (group in self.urgent, score) > (best.group in self.urgent, best.score)):
                    best = NetFinding(group, clause.text, score, score - ordinary)
        if best is not None:
            log.debug("safety net: %s %.2f (+%.2f) for %r", best.group, best.score, best.lead, best.clause)
        return best
