"""Clinical reading of a question with medspaCy: red-flag concepts (TargetMatcher) and their context (ConText).

The concepts come from lexicon/red_flags.yaml, the context rules from lexicon/context.yaml, the lemmas from
lexicon/lemmas.yaml. medspaCy is imported the first time a question is read (about 1 s), never for `--help`.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SettingsError
from .matching import prefilter, quicken, token_matchers
from .patterns import Lemmatiser, PatternError, Rewriter, compile_pattern, inflections, pattern_words, widened

if TYPE_CHECKING:
    from spacy.language import Language

DEFAULT_IGNORE = frozenset({"NEGATED_EXISTENCE", "OTHER_EXPERIENCER", "TRANSIENT", "GENERIC"})
CATEGORIES = {"NEGATED_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "OTHER_EXPERIENCER", "TRANSIENT", "INTENTIONAL",
              "CHRONIC", "GENERIC", "PSEUDO", "TERMINATE", "NO_LONGER"}
# "don't have cancer anymore", "no longer have osteoporosis": a sign that was, denied only for now. Its negation reads
# as history (so a past cancer, which counts though historical, still counts)
NO_LONGER = "NO_LONGER"
_DECADES = {"fifties": 50, "sixties": 60, "seventies": 70, "eighties": 80, "nineties": 90}


@dataclass(frozen=True)
class Concept:
    """One sign: a red flag of a SAFETY.md group, or a part that is one only in a combination (group None)."""

    id: str
    label: str
    group: str | None
    emergency: bool
    patterns: tuple[str, ...]
    ignore_when: frozenset[str]
    should_match: tuple[str, ...] = ()
    should_not_match: tuple[str, ...] = ()
    always_other: bool = False  # names someone else by what it is ("my nan"): counts only for a move for them
    aged: bool = False  # an age mention: counts in a combination only when it says older than `older_than`

    @property
    def label_upper(self) -> str:
        return self.id.upper()


@dataclass(frozen=True)
class Combination:
    group: str
    label: str
    when: tuple[str, ...]


@dataclass(frozen=True)
class ContextRuleSpec:
    literal: str
    category: str
    direction: str
    pattern: str
    max_scope: int | None = None
    allowed: tuple[str, ...] = ()
    not_across: tuple[str, ...] = ()
    tight_before: int | None = None
    needs_before: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()  # a TERMINATE rule that ends only these categories' scopes (empty: every one)


@dataclass
class RedFlagLexicon:
    """Everything lexicon/ says about red flags, checked at load."""

    concepts: dict[str, Concept]
    combinations: list[Combination]
    older_than: int
    mover_other: tuple[str, ...]
    mover_self: tuple[str, ...]
    not_signs: tuple[str, ...]
    sets: dict[str, list[str]]
    context: list[ContextRuleSpec]
    context_examples: list[dict]
    rewrites: dict[str, str]
    lemmas: dict[str, str]
    emergency_groups: frozenset[str] = field(default_factory=frozenset)
    clause_breaks: frozenset[str] = field(default_factory=frozenset)  # words that start a new clause
    mover_examples: list[dict] = field(default_factory=list)  # {text, other}: whose move it is, as cases
    shorthand: dict[str, str] = field(default_factory=dict)  # chat shorthand spelled out ("ur" -> "your")
    explained_later: dict = field(default_factory=dict)  # concepts, categories, examples: see red_flags.yaml
    settled_by_age: frozenset[str] = field(default_factory=frozenset)  # parts a young stated age settles
    settled_by_age_examples: list[dict] = field(default_factory=list)  # {text, referred}: as cases

    @classmethod
    def load(cls, folder: Path) -> RedFlagLexicon:
        return _load(str(Path(folder).resolve()))


def _yaml(path: Path) -> dict:
    import yaml

    from ..yamlfile import safe_load

    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping")
    return data


def _concept(raw: dict, group: str | None, emergency: bool, where: str) -> Concept:
    if not raw.get("id") or not raw.get("patterns"):
        raise SettingsError(f"{where}: a concept needs an id and patterns")
    ignore = raw.get("ignore_when")
    if ignore is None:
        ignore_set = set(DEFAULT_IGNORE) | (set() if raw.get("history_counts") else {"HISTORICAL"})
    else:
        ignore_set = set(ignore)
    if ignore_set - CATEGORIES:
        raise SettingsError(f"{where} {raw['id']}: unknown ConText category {sorted(ignore_set - CATEGORIES)[0]!r}")
    return Concept(raw["id"], raw.get("label", raw["id"]), group, emergency, tuple(raw["patterns"]),
                   frozenset(ignore_set), tuple(raw.get("should_match") or ()),
                   tuple(raw.get("should_not_match") or ()), raw.get("experiencer") == "other", bool(raw.get("aged")))


@cache
def _load(folder: str) -> RedFlagLexicon:
    base = Path(folder)
    flags, ctx, words = _yaml(base / "red_flags.yaml"), _yaml(base / "context.yaml"), _yaml(base / "lemmas.yaml")
    concepts: dict[str, Concept] = {}
    emergency_groups = set()
    for group, spec in (flags.get("groups") or {}).items():
        if spec.get("emergency"):
            emergency_groups.add(group)
        for raw in spec.get("concepts") or ():
            c = _concept(raw, group, bool(spec.get("emergency")), f"red_flags.yaml {group}")
            concepts[c.id] = c
    for raw in flags.get("parts") or ():
        c = _concept(raw, None, False, "red_flags.yaml parts")
        concepts[c.id] = c
    combos = [Combination(c["group"], c.get("label", c["group"]), tuple(c["when"]))
              for c in flags.get("combinations") or ()]
    for combo in combos:
        missing = [w for w in combo.when if w not in concepts]
        missing += [w for w in flags.get("settled_by_age") or () if w not in concepts]
        if missing:
            raise SettingsError(f"red_flags.yaml combination {combo.group}: no concept {missing[0]!r}")
    rules = []
    for raw in ctx.get("rules") or ():
        if raw.get("category") not in CATEGORIES:
            raise SettingsError(f"context.yaml rule {raw.get('literal')!r}: unknown category {raw.get('category')!r}")
        rules.append(ContextRuleSpec(raw["literal"], raw["category"], raw.get("direction", "BIDIRECTIONAL"),
                                     raw["pattern"], raw.get("max_scope"), tuple(raw.get("allowed") or ()),
                                     tuple(raw.get("not_across") or ()), raw.get("tight_before"),
                                     tuple(raw.get("needs_before") or ()), tuple(raw.get("ends") or ())))
    lexicon = RedFlagLexicon(concepts, combos, int(flags.get("older_than", 50)), tuple(flags.get("mover_other") or ()),
                             tuple(flags.get("mover_self") or ()), tuple(flags.get("not_signs") or ()),
                             {k: list(v) for k, v in (flags.get("sets") or {}).items()}, rules,
                             list(ctx.get("examples") or ()), dict(words.get("rewrite") or {}),
                             dict(words.get("lemmas") or {}), frozenset(emergency_groups),
                             frozenset(str(w).lower() for w in ctx.get("clause_breaks") or ()),
                             list(flags.get("mover_examples") or ()),
                             {str(k).lower(): str(v) for k, v in (words.get("shorthand") or {}).items()},
                             dict(flags.get("explained_later") or {}),
                             frozenset(flags.get("settled_by_age") or ()),
                             list(flags.get("settled_by_age_examples") or ()))
    try:  # every pattern compiles, or the lexicon names the one that does not
        for c in concepts.values():
            for p in c.patterns:
                compile_pattern(p, lexicon.sets)
        for p in (*lexicon.mover_other, *lexicon.mover_self, *lexicon.not_signs):
            compile_pattern(p, lexicon.sets)
        for r in rules:
            compile_pattern(r.pattern, lexicon.sets)
    except PatternError as exc:
        raise SettingsError(f"lexicon: {exc}") from None
    return lexicon


@dataclass(frozen=True)
class Finding:
    """A sign found in the text, with the ConText categories that modify it."""

    concept: str
    text: str
    flags: frozenset[str]
    start: int = 0  # where the sign lies in the text as asked (characters)
    end: int = 0

    def age(self, older_than: int) -> bool:
        """For an age mention: whether it says the person is older than `older_than`."""
        numbers = [int(n) for n in re.findall(r"\d+", self.text)]
        if numbers:
            return any(older_than < n < 120 for n in numbers) or any(
                f"{n}s" in self.text and n >= older_than for n in numbers)
        decade = next((v for k, v in _DECADES.items() if k in self.text), None)
        return decade >= older_than if decade is not None else True  # "elderly", "my nan"


@dataclass(frozen=True)
class Clause:
    """One clause of the question as read (lower-cased, contractions spelled out), with the ConText categories
    that modify it: what the semantic safety net may judge."""

    text: str
    flags: frozenset[str]
    start: int = 0  # where the clause lies in the text as asked (characters), for pooling its tokens
    end: int = 0


@dataclass(frozen=True)
class Reading:
    findings: tuple[Finding, ...]
    mover_other: bool  # the question asks about a move for someone else
    clauses: tuple[Clause, ...] = ()
    not_signs: tuple[tuple[int, int], ...] = ()  # signs' words that only looked like one (character offsets)
    mover_self: bool = False  # the question says outright the move is the asker's own ("for me", "forget her")


MOVER = "MOVER_OTHER"
MOVER_SELF = "MOVER_SELF"
NOT_A_SIGN = "NOT_A_SIGN"
WORD = "WORD"  # each word as a ConText target of its own, for the clauses' reading


_READINGS_KEPT = 256  # readings kept by text (about 2 KB each)


class ClinicalReader:
    """medspaCy over one question: which concepts it mentions, and whether each is negated, past, someone else's…"""

    def __init__(self, lexicon: RedFlagLexicon) -> None:
        self.lexicon = lexicon
        self._nlp: Language | None = None
        self._lock = threading.Lock()
        self._rewrite = Rewriter(lexicon.rewrites)
        self._lemma: Lemmatiser | None = None
        # the last readings, by text: triage reads a question, and the answer may read it again (whether the mover is
        # older; whether a next turn explains a sign away); a Reading is immutable, so one can be handed out twice
        self._readings: OrderedDict[str, Reading] = OrderedDict()

    def _build(self) -> Language:
        # thinc (under spaCy) imports torch whenever it is installed: 1.6 s and ~300 MB on the question path for
        # nothing these rules use; hidden while spaCy loads, so thinc records it as absent (ingest still has it).
        # medspaCy imports QuickUMLS only to register its component, and QuickUMLS imports nltk (with scikit-learn,
        # scipy and pandas): about 2 s for a component this pipeline does not have; spaCy imports its whole
        # command-line package to re-export `spacy.info` (0.3 s). Both get stand-ins (see lean_imports).
        from ..lean_imports import lean

        # medspaCy also imports its PyRuSH sentence splitter (with loguru) only to register it, and this pipeline
        # splits with spaCy's own sentencizer: a stand-in too (about 35 ms). Not pySBD: spaCy imports it anyway, as
        # the entry point of a factory, when the pipeline is put together.
        with lean(hidden=("torch",), stand_ins=("quickumls", "spacy.cli", "PyRuSH")), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # medspacy switches every warning off at import; keep that inside here
            import medspacy  # noqa: F401  (registers the medspacy_* factories)
            import spacy
            from medspacy.context import ConTextRule
            from medspacy.custom_tokenizer import create_medspacy_tokenizer
            from medspacy.target_matcher import TargetRule
        if "loguru" in sys.modules:  # PyRuSH was imported for real before (it logs through loguru)
            from loguru import logger

            logger.disable("PyRuSH")
        logging.getLogger("medspacy").setLevel(logging.WARNING)
        lex = self.lexicon
        compiled: list[list[dict]] = []
        table = {k.lower(): v for k, v in lex.lemmas.items()}

        def compiled_pattern(text: str) -> list[dict]:
            """A pattern whose words are lemmas too ("numbness" asks for "numb"), as the tokens will carry."""
            tokens = compile_pattern(text, lex.sets)
            for spec in tokens:
                lemma = spec.get("LEMMA")
                if isinstance(lemma, str):
                    spec["LEMMA"] = table.get(lemma, lemma)
                elif isinstance(lemma, dict):
                    spec["LEMMA"] = {"IN": sorted({table.get(w, w) for w in lemma["IN"]})}
            compiled.append(tokens)
            return tokens

        # medspaCy's tokenizer replaces spaCy's default one, so the default is made bare (building its ~2,700
        # special cases twice costs 0.1 s); medspaCy's takes only its token_match from it
        nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": _bare_tokenizer()}}})
        nlp.tokenizer = create_medspacy_tokenizer(_lower_case_view(nlp, self._rewrite))
        nlp.add_pipe("sentencizer")
        targets = []
        for c in lex.concepts.values():
            for p in c.patterns:
                targets.append(TargetRule(p, c.label_upper, pattern=compiled_pattern(p), metadata={"concept": c.id}))
        for label, phrases in ((MOVER, lex.mover_other), (MOVER_SELF, lex.mover_self), (NOT_A_SIGN, lex.not_signs)):
            for p in phrases:
                targets.append(TargetRule(p, label, pattern=compiled_pattern(p)))
        rules = []
        # a cue never reaches across a scope-ending word, even one right after it ("i am not - my bum is numb"),
        # which medspaCy's own TERMINATE rules miss when the terminator is the first word of the scope
        # (one-word terminators only: "and" ends a cue's scope only as the first word of "and came down"; those
        # of more words end it where their words follow each other, see _Ends)
        # (a terminator that ends some categories only, "and came down" ending a denial and not whose act it was,
        # is a cue of its own category that those categories' rules are terminated by)
        terminators = [e for e in lex.context if e.category == "TERMINATE"]
        endings: dict[str, _Ends] = {}  # one per category: the terminators that end its cues' scopes

        def ending(r: ContextRuleSpec) -> _Ends:
            if r.category not in endings:
                endings[r.category] = _Ends(e.pattern for e in terminators if not e.ends or r.category in e.ends)
            return endings[r.category]

        def ender(e: ContextRuleSpec) -> str:
            return "ENDS_" + "_".join(sorted(e.ends))

        for r in lex.context:
            partial = r.category == "TERMINATE" and bool(r.ends)
            ended_by = {ender(e) for e in terminators if r.category in e.ends}
            rules.append(ConTextRule(r.literal, ender(r) if partial else r.category,
                                     pattern=compiled_pattern(r.pattern),
                                     direction="PSEUDO" if partial else r.direction,
                                     max_scope=r.max_scope, allowed_types={a.upper() for a in r.allowed} or None,
                                     excluded_types=None if r.allowed else {MOVER, MOVER_SELF, NOT_A_SIGN},
                                     terminated_by=ended_by or None, on_modifies=_on_modifies(r, ending(r))))
        known = pattern_words(compiled)  # widening adds no word: every inflection added is a pattern word already
        forms = inflections(known, table)
        for tokens in compiled:
            widened(tokens, forms)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*\[W036\]")  # a matcher left without token patterns
            # every concept's matches are kept, overlapping or not (read() picks the longest per concept), so one
            # sign never hides another; ConText reads the same span group
            # spaCy types add_pipe as returning a bare Callable[[Doc], Doc]; medspaCy's components have add()
            target = nlp.add_pipe("medspacy_target_matcher", config={"result_type": "group", "prune": False})
            context = nlp.add_pipe("medspacy_context", config={"rules": None, "input_span_type": "group"})
            # spaCy validates each token pattern against its pydantic schema as it is added (about 30 ms of every
            # start for 323 patterns that are the lexicon's, the same each time); the lexicon's patterns are
            # validated once in the tests instead (test_clinical_pipeline), so a bad one still fails there
            for matcher in token_matchers(nlp):
                matcher.validate = False
            target.add(targets)  # type: ignore[attr-defined]
            context.add(rules)  # type: ignore[attr-defined]
        for matcher in token_matchers(nlp):
            quicken(matcher)
        prefilter(nlp)
        self._lemma = Lemmatiser(table, known)
        return nlp

    def warm(self) -> None:
        """Build the pipeline now (about half a second, most of it importing spaCy) rather than on the first read."""
        with self._lock:
            if self._nlp is None:
                self._nlp = self._build()

    def read(self, text: str) -> Reading:
        with self._lock:  # spaCy pipelines are not promised to be thread-safe; a question takes ~1 ms
            if text in self._readings:
                self._readings.move_to_end(text)
                return self._readings[text]
            reading = self._read(text)
            self._readings[text] = reading
            if len(self._readings) > _READINGS_KEPT:
                self._readings.popitem(last=False)
            return reading

    def _read(self, text: str) -> Reading:
        """One reading (the lock held)."""
        if self._nlp is None:
            self._nlp = self._build()
        nlp = self._nlp
        from spacy.tokens import Span

        doc, source = self._lemmatised(text)
        for name, component in nlp.pipeline:
            if name == "medspacy_context":  # every word is a target too, so clauses get ConText's reading
                # ...except a word that is a sign on its own: spaCy keeps extension values by a span's
                # boundaries, so the two would share one reading (a cue allowed for words only would mark it)
                signs = {(s.start, s.end) for s in doc.spans.get("medspacy_spans", ())}
                words = [Span(doc, t.i, t.i + 1, label=WORD) for t in doc
                         if not t.is_punct and (t.i, t.i + 1) not in signs]
                doc.spans["medspacy_spans"] = [*doc.spans.get("medspacy_spans", ()), *words]
            doc = component(doc)
        from spacy.util import filter_spans

        by_label: dict[str, list] = {}
        for span in doc.spans.get("medspacy_spans", ()):
            by_label.setdefault(span.label_, []).append(span)
        words = by_label.pop(WORD, [])  # the same spans, as the group gives them back
        hidden = by_label.pop(NOT_A_SIGN, [])
        mover_self = bool(by_label.pop(MOVER_SELF, []))
        mover = bool(by_label.pop(MOVER, [])) and not mover_self
        findings, plain = [], []
        concept_of = {c.label_upper: c.id for c in self.lexicon.concepts.values()}
        for label, spans in by_label.items():
            for span in filter_spans(spans):  # the longest match of each concept
                if any(h.start <= span.start and span.end <= h.end for h in hidden):
                    plain.append((source[span.start_char], source[span.end_char - 1] + 1))
                    continue
                flags = frozenset(m.category for m in span._.modifiers)
                if NO_LONGER in flags:
                    flags = (flags - {NO_LONGER, "NEGATED_EXISTENCE"}) | {"HISTORICAL"}
                # by label: spaCy keeps a span's extension values by its boundaries, so two concepts
                # matching the same words would share one `target_rule`
                findings.append(Finding(concept_of[label], span.text, flags, source[span.start_char],
                                        source[span.end_char - 1] + 1))
        # words the lexicon knows only look like a sign, where no concept matched them either ("osteoarthritis in
        # my hands"): the net does not judge them as one
        plain += [(source[h.start_char], source[h.end_char - 1] + 1) for h in hidden
                  if not any(a >= source[h.start_char] and b <= source[h.end_char - 1] + 1 for a, b in plain)]
        clauses = self._clauses(doc, words, source)
        # in the order they are said (spaCy's matcher gives matches in the order its states complete, which says
        # nothing of the question; the first-said of two equally urgent signs is the one a referral names)
        findings.sort(key=lambda f: (f.start, f.end, f.concept))
        return Reading(tuple(findings), mover, clauses, tuple(sorted(plain)), mover_self)

    def cues(self, text: str) -> set[str]:
        """The ConText categories whose cues occur in `text`, whether or not they modify a sign (for the data tests)."""
        with self._lock:
            if self._nlp is None:
                self._nlp = self._build()
            doc, _ = self._lemmatised(text)
            for _, component in self._nlp.pipeline:
                doc = component(doc)
        # (a terminator of some categories only is a cue of its own category, "ENDS_…", a TERMINATE rule's)
        return {"TERMINATE" if m.category.startswith("ENDS_") else m.category for m in doc._.context_graph.modifiers}

    def _lemmatised(self, text: str):
        """The rewritten text as a doc with the lexicon's lemmas, and the map back to `text`'s offsets (the pipeline
        built, the lock held)."""
        assert self._nlp is not None and self._lemma is not None
        rewritten, source = self._rewrite.mapped(text)
        doc = self._nlp.make_doc(rewritten)
        for token in doc:
            token.lemma_ = self._lemma(token.text)
        return doc, source

    def _clauses(self, doc, words, source: list[int]) -> tuple[Clause, ...]:
        """The doc cut at punctuation and at the lexicon's clause-break words; each clause carries the ConText
        categories that modify at least a third of its words (outside the cues themselves), read by the same rules
        as the concepts."""
        breaks = self.lexicon.clause_breaks
        bounds, start = [], 0
        for token in doc:
            if token.is_punct or token.lower_ in breaks:
                if token.i > start:
                    bounds.append((start, token.i))
                start = token.i + 1
        if start < len(doc):
            bounds.append((start, len(doc)))
        by_token = {w.start: w for w in words}
        cues = {i for w in words for m in w._.modifiers for i in range(*m.modifier_span)}
        out = []
        for begin, end in bounds:
            counted = [by_token[i] for i in range(begin, end) if i in by_token and i not in cues]
            tally: dict[str, int] = {}
            for word in counted:
                for category in {m.category for m in word._.modifiers}:
                    tally[category] = tally.get(category, 0) + 1
            flags = frozenset(c for c, n in tally.items() if 3 * n >= len(counted))
            span = doc[begin:end]
            out.append(Clause(span.text, flags, source[span.start_char], source[span.end_char - 1] + 1))
        return tuple(out)


def _lower_case_view(nlp: Language, rewrite: Rewriter):
    """What `create_medspacy_tokenizer` reads of `nlp`, with only the tokenizer exceptions that lower-case text can
    hold, when the tokenizer is given nothing else: `read` tokenizes the rewritten text, which is lower-cased and
    whose rewrites are lower case. An exception is a whole token's exact string ("C++", "Mar.", "Don't"): 614 of
    English's 1,347 have a capital, and each costs its special-case set-up (affix search, phrase matcher) for
    nothing (about 40 ms)."""
    from types import SimpleNamespace

    if any(v != v.lower() for v in rewrite.rewrites.values()):
        return nlp
    exceptions = {k: v for k, v in nlp.Defaults.tokenizer_exceptions.items() if k == k.lower()}
    defaults = type("LowerCaseDefaults", (nlp.Defaults,), {"tokenizer_exceptions": exceptions})
    return SimpleNamespace(Defaults=defaults, vocab=nlp.vocab, tokenizer=nlp.tokenizer)


@cache
def _bare_tokenizer() -> str:
    """A spaCy tokenizer factory (registered once, by name) with no rules or affixes: only the language's
    token_match, which is all `create_medspacy_tokenizer` reads from the tokenizer it replaces."""
    import spacy
    from spacy.tokenizer import Tokenizer

    name = "backstretch.bare_tokenizer.v1"

    @spacy.registry.tokenizers(name)
    def bare():
        def make(nlp):
            return Tokenizer(nlp.vocab, token_match=nlp.Defaults.token_match)

        return make

    return name


class _Ends:
    """Scope-ending words, and phrases ("and|& then? came|fell"): a word of the first alternatives followed by one of
    the last, optional words between. Checked by hand because medspaCy's own TERMINATE limits no scope here."""

    def __init__(self, patterns) -> None:
        self.words: set[str] = set()
        self.phrases: list[tuple[set[str], set[str], set[str]]] = []
        for pattern in patterns:
            tokens = pattern.split()
            if len(tokens) == 1:
                self.words |= {w.lower() for w in tokens[0].split("|")}
                continue
            optional = {w.lower() for t in tokens[1:-1] if t.endswith("?") for w in t[:-1].split("|")}
            self.phrases.append(({w.lower() for w in tokens[0].split("|")}, optional,
                                 {w.lower() for w in tokens[-1].split("|")}))

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    def within(self, gap) -> bool:
        words = [t.lower_ for t in gap]
        if any(w in self.words for w in words):
            return True
        for first, optional, last in self.phrases:
            for i, w in enumerate(words):
                if w in first:
                    j = i + 1
                    while j < len(words) and words[j] in optional:
                        j += 1
                    if j < len(words) and words[j] in last:
                        return True
                    if j == len(words):  # the phrase runs on into the sign ("… and came down on my back")
                        after = gap.doc[gap.end:gap.end + 1] if gap.end < len(gap.doc) else ()
                        if any(t.lower_ in last for t in after):
                            return True
        return False


def _on_modifies(rule: ContextRuleSpec, ends: _Ends | None = None):
    blockers = {w.lower() for w in rule.not_across}
    needs = {w.lower() for w in rule.needs_before}

    def modifies(target, modifier, between) -> bool:
        if modifier.start < target.end and target.start < modifier.end:
            if rule.category != "OTHER_EXPERIENCER":
                return False  # a cue inside the sign ("can not feel", "is not there") is part of what it says; but
                # "my grandad is 80" is about the grandad however the two overlap...
            if blockers and any(t.lower_ in blockers for t in target.doc[target.start:modifier.start]):
                return False  # ...unless the sign is the speaker's before the pronoun ("my legs feel like they've")
        if blockers and any(t.lower_ in blockers for t in between):
            return False
        if blockers and rule.category == "OTHER_EXPERIENCER" and not (
                modifier.start < target.end and target.start < modifier.end) and any(
                t.lower_ in blockers for t in target):
            return False  # a sign said of the asker's own body ("my partner lost grip and I landed on my upper back")
        gap = target.doc[target.end:modifier.start] if target.end <= modifier.start else \
            target.doc[modifier.end:target.start]
        if ends and ends.within(gap):  # strictly between the two ("cross-legged" is one cue)
            return False
        if rule.tight_before is not None and target.end <= modifier.start:
            gap = target.doc[target.end:modifier.start]
            if len(gap) > rule.tight_before or any(t.is_punct for t in gap):
                return False
        if needs:
            before = target.doc[max(target.start - 3, 0):target.start]
            if not any(t.lower_ in needs for t in before):
                return False
        return True

    return modifies
