"""Safety triage, run before anything else: a red flag the person describes gets a referral, never a move.

The signs are data (lexicon/red_flags.yaml) read by medspaCy with ConText (assistant/understanding/clinical.py):
a sign counts when it is present in the person the move is for (not negated, not someone else's, not gone
again), past ones only where the lexicon says history counts (a past cancer does; a fever last year does
not). Hypothetical signs count: "what if I had …" is answered with the referral it would get.
Ordinary "is it safe / risky / will it hurt" questions pass through: they are the article's subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .clinical import ClinicalReader, Finding, Reading, RedFlagLexicon
from .lexicon import any_phrase
from .scope import out_of_scope_reason

if TYPE_CHECKING:
    from .safety_net import SafetyNet

TriageStatus = Literal["ok", "referral", "out_of_scope"]


@dataclass(frozen=True)
class Triage:
    status: TriageStatus
    group: str | None = None  # red-flag group or out-of-scope reason
    emergency: bool = False
    matched: str | None = None
    concept: str | None = None  # the red-flag concept (or combination) that decided it

    @property
    def stops(self) -> bool:
        return self.status != "ok"


class Triager:
    """Red flags from one reading of the question; the most urgent wins. With a `net`, a clause the lexicon
    did not match may still add a referral (never take one away)."""

    def __init__(self, lexicon: RedFlagLexicon, reader: ClinicalReader | None = None,
                 net: SafetyNet | None = None) -> None:
        self.lexicon = lexicon
        self.reader = reader or ClinicalReader(lexicon)
        self.net = net

    def with_net(self, net: SafetyNet | None) -> Triager:
        """The same lexicon and reader (loaded once), with the semantic safety net."""
        return Triager(self.lexicon, self.reader, net)

    def warm(self) -> None:
        """Load the clinical reader now, so the first question pays no start-up cost."""
        self.reader.warm()

    def counts(self, finding: Finding, reading: Reading) -> bool:
        concept = self.lexicon.concepts[finding.concept]
        if concept.always_other and not reading.mover_other:
            return False
        ignore = concept.ignore_when - ({"OTHER_EXPERIENCER"} if reading.mover_other else set())
        return not finding.flags & ignore

    def red_flag(self, text: str, semantic: bool = True) -> Triage | None:
        reading = self.reader.read(text)
        counted = [f for f in reading.findings if self.counts(f, reading)]
        concepts = self.lexicon.concepts
        flags = [f for f in counted if concepts[f.concept].group is not None]
        if flags:
            f = min(flags, key=lambda f: not concepts[f.concept].emergency)
            c = concepts[f.concept]
            return Triage("referral", c.group, c.emergency, f.text, c.id)
        present = {f.concept: f for f in counted
                   if not concepts[f.concept].aged or f.age(self.lexicon.older_than)}
        for combo in self.lexicon.combinations:
            if all(part in present for part in combo.when):
                matched = " … ".join(present[p].text for p in combo.when)
                return Triage("referral", combo.group, combo.group in self.lexicon.emergency_groups, matched,
                              "+".join(combo.when))
        if semantic and self.net is not None:
            # a clause holding a sign the lexicon read and discounted (denied, someone else's, on purpose), or words
            # it knows only look like one ("crashed on my mate's sofa"), is not the net's to judge again: "lost 10
            # kilos on purpose" is not unexplained weight loss in other words
            discounted = tuple((f.start, f.end) for f in reading.findings
                               if concepts[f.concept].group is not None and f not in counted) + reading.not_signs
            discounted += self._judged_young(counted)
            found = self.net.find(reading, text, discounted)
            if found is not None:
                return Triage("referral", found.group, found.group in self.lexicon.emergency_groups, found.clause,
                              f"semantic:{found.group}")
        return None

    def _judged_young(self, counted: list[Finding]) -> tuple[tuple[int, int], ...]:
        """The words of the parts `settled_by_age` names (red_flags.yaml) when the stated age is under `older_than`
        ("I'm 38 and tweaked my back lifting my toddler"): the lexicon judged that combination, so the net does not
        judge those words again. A clause with the age alone stays the net's ("I'm 38 and came off my motorbike")."""
        concepts = self.lexicon.concepts
        if not any(concepts[f.concept].aged and not f.age(self.lexicon.older_than) for f in counted):
            return ()
        return tuple((f.start, f.end) for f in counted if f.concept in self.lexicon.settled_by_age)

    def mover_switched(self, earlier: str, later: str) -> bool:
        """Whether `later` asks for a move for someone other than the person `earlier`'s red flag was about: the
        asker's own, said outright, after someone else's referral ("my mum has osteoporosis, can she…" then "forget
        her, I'm 28, how do I…"); someone else's after the asker's ("I'm 30 weeks pregnant" then "how does my
        husband do the chair twist?"). A later turn with a red flag of its own is triaged on its own first."""
        before, now = self.reader.read(earlier), self.reader.read(later)
        return now.mover_self if before.mover_other else now.mover_other

    def older_mover(self, text: str) -> bool:
        """Whether the question says the person the move is for is older than `older_than` ("im 78 btw, is that ok?",
        "is that safe for my mum, she's 80?"), where no red flag came of it: the article says nothing about age."""
        reading = self.reader.read(text)
        return any(self.lexicon.concepts[f.concept].aged and self.counts(f, reading)
                   and f.age(self.lexicon.older_than) for f in reading.findings)

    def explained_later(self, earlier: str, later: str) -> bool:
        """Whether `later`, the turn right after a referral for `earlier`, explains its sign as passing ("it was only
        from sitting on my foot, it came back in a minute"), as the same words in one breath would have: only for
        the concepts and ConText categories `explained_later` in red_flags.yaml names, and only when the later turn
        has no sign of its own and the earlier sign was not getting worse."""
        rule = self.lexicon.explained_later
        found = self.red_flag(earlier)
        reading = self.reader.read(earlier)
        signs = {f.concept for f in reading.findings
                 if self.counts(f, reading) and self.lexicon.concepts[f.concept].group is not None}
        # the rule, and the narrower ones it lists under `also` (a pregnancy taken back: a negative test, "I meant my
        # partner"), each for its own concepts and categories
        rules = [r for r in (rule, *(rule.get("also") or ())) if signs <= set(r.get("concepts") or ())]
        if found is None or not signs or found.concept not in signs or not rules:
            return False  # a sign no rule covers, or one only the safety net found
        if self.red_flag(later) is not None:
            return False
        if rule in rules and set(rule.get("categories") or ()) & self.reader.cues(later):
            return True
        # ...the narrower ones only where the later turn says it of the same sign ("test was negative" of the
        # pregnancy, "my PARTNER is pregnant"), not any cue anywhere ("my partner says it's fine")
        now, said = self.reader.read(later), later.lower()
        return any(f.concept in set(r.get("concepts") or ()) and f.flags & set(r.get("categories") or ())
                   and (not r.get("needs") or any_phrase(said, tuple(r["needs"])))
                   for r in rules if r is not rule for f in now.findings)

    def __call__(self, question: str, *variants: str) -> Triage:
        """Referral for a red flag, out_of_scope for asks the article cannot answer, else ok.

        `variants` (a spelling-corrected form, say) are checked for red flags too: safety wins ties."""
        candidates = list(dict.fromkeys((question, *variants)))
        for candidate in candidates:  # the lexicon on every form; the net (one embedding batch) on the last
            flagged = self.red_flag(candidate, semantic=candidate == candidates[-1])
            if flagged:
                return flagged
        reason = out_of_scope_reason(question)
        if reason:
            return Triage("out_of_scope", reason[0], False, reason[1])
        return Triage("ok")


@cache
def default_triager(folder: str | None = None) -> Triager:
    from ..settings import REPO_ROOT

    return Triager(RedFlagLexicon.load(Path(folder) if folder else REPO_ROOT / "lexicon"))


def triage(question: str, *variants: str) -> Triage:
    """Triage with the shipped lexicon (the chain uses its own Triager, built from the settings)."""
    return default_triager()(question, *variants)
