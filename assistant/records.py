"""Records that flow from the article to a reply: sections, passages, citations, replies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Kind = Literal["intro", "step", "warning", "tip"]
Status = Literal["answered", "out_of_scope", "referral", "clarify", "social"]
STATUSES: tuple[str, ...] = ("answered", "out_of_scope", "referral", "clarify", "social")
KINDS: tuple[str, ...] = ("intro", "step", "warning", "tip")
GENERAL_SECTION_ID = "general"


@dataclass(frozen=True)
class Passage:
    """One exact span of a source file: `source_text[start:end] == text`, always."""

    id: str
    source: str  # "corpus/<file>"
    section_id: str
    section_title: str
    kind: Kind
    text: str
    start: int
    end: int
    order: int  # position of the passage in its document
    step: int | None = None  # 1-based step line within its section, for steps and what sits in them


@dataclass(frozen=True)
class SectionTags:
    """What a method needs and where it acts, from the sidecar (empty for documents without one)."""

    region: tuple[str, ...] = ()
    position: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    partner: bool = False
    risk: str = "unknown"
    motion: str = ""  # rotation, extension, flexion, partner, professional: what the spine does
    posture: str = ""  # lying, kneeling, standing, sitting


@dataclass
class Section:
    """One method of the article (or the article-wide cautions, id `general`)."""

    id: str
    title: str
    source: str
    order: int
    passages: list[Passage] = field(default_factory=list)
    tags: SectionTags = field(default_factory=SectionTags)
    aliases: tuple[str, ...] = ()
    describes: tuple[str, ...] = ()  # the move in lay words, for questions that describe it instead of naming it
    professional_only: bool = False
    details: dict[str, tuple[str, ...]] = field(default_factory=dict)  # detail kind -> ids of passages giving it
    refines: str = ""  # the method this one is a variant of (named together, the variant is meant)
    marks: tuple[str, ...] = ()  # words that tell this variant from the move it refines (none said: that move)

    def of_kind(self, *kinds: str) -> list[Passage]:
        return [p for p in self.passages if p.kind in kinds]

    @property
    def text(self) -> str:
        """The method's own sentences, in order, as one text."""
        return " ".join(p.text for p in self.passages)

    @property
    def steps(self) -> list[Passage]:
        return self.of_kind("step")

    @property
    def warnings(self) -> list[Passage]:
        return self.of_kind("warning")


@dataclass(frozen=True)
class Comparison:
    """Sentences in which the article itself compares methods (by id) or kinds of motion."""

    between: tuple[str, ...]
    motions: tuple[str, ...]
    passages: tuple[str, ...]  # passage ids

    def covers(self, a: Section, b: Section) -> bool:
        if self.between:
            return {a.id, b.id} <= set(self.between)
        return {a.tags.motion, b.tags.motion} == set(self.motions) and a.tags.motion != b.tags.motion


@dataclass
class Document:
    """A parsed source file with its sections; `general` holds article-level cautions."""

    source: str
    text: str
    sections: list[Section]
    general: Section | None = None
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def passages(self) -> list[Passage]:
        found = [p for s in self.all_sections for p in s.passages]
        return sorted(found, key=lambda p: p.start)

    @property
    def all_sections(self) -> list[Section]:
        return ([self.general] if self.general else []) + self.sections


@dataclass(frozen=True)
class Citation:
    """A numbered quote in a reply; `quote` must equal the source span exactly."""

    n: int
    section_id: str
    section_title: str
    kind: Kind
    quote: str
    source: str
    start: int
    end: int

    @classmethod
    def of(cls, n: int, passage: Passage, start: int | None = None, end: int | None = None) -> Citation:
        """Cite a whole passage, or the sub-span [start, end) of it (absolute offsets)."""
        s = passage.start if start is None else start
        e = passage.end if end is None else end
        quote = passage.text[s - passage.start : e - passage.start]
        return cls(n, passage.section_id, passage.section_title, passage.kind, quote, passage.source, s, e)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Reply:
    """What the assistant says for one turn; `focus` carries the methods in play to the next turn."""

    question: str
    status: Status
    answer: str
    citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0
    focus: tuple[str, ...] = ()
    intent: str = ""
    urgent: bool = False  # a referral that needs emergency care today
    backend: str = "extractive"  # who worded it: extractive, ollama, openai, or extractive-fallback
    notice: str = ""  # one line for the user when the model could not be used
    options: tuple[str, ...] = ()  # questions to offer as clickable choices (a clarifying turn, out of scope)
    flag: str | None = None  # the red-flag group this conversation holds a referral for, from its referral on

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "latency_ms": round(self.latency_ms, 2),
            "backend": self.backend,
            "notice": self.notice,
            "urgent": self.urgent,
            "options": list(self.options),
            "flag": self.flag,
            "focus": list(self.focus),
            "intent": self.intent,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Reply:
        """The inverse of `to_dict` (history sent back by a client); unknown keys are ignored."""
        citations = [Citation(**{k: c[k] for k in Citation.__dataclass_fields__}) for c in data.get("citations") or ()]
        status = data.get("status", "answered")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        return cls(str(data.get("question", "")), status, str(data.get("answer", "")), citations,
                   focus=tuple(data.get("focus") or ()), intent=str(data.get("intent") or ""),
                   urgent=bool(data.get("urgent")), backend=str(data.get("backend") or "extractive"),
                   options=tuple(data.get("options") or ()), flag=data.get("flag"))
