"""The parsed corpus held in memory: sections and passages by id, and the source texts to check quotes against."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import GENERAL_SECTION_ID, Document, Passage, Section


@dataclass
class Library:
    documents: list[Document]
    _sections: dict[str, Section] = field(default_factory=dict, repr=False)
    _passages: dict[str, Passage] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for doc in self.documents:
            for section in doc.all_sections:
                self._sections[section.id] = section
                for p in section.passages:
                    self._passages[p.id] = p

    @property
    def sections(self) -> list[Section]:
        """The methods, in article order (article-level cautions excluded)."""
        return [s for d in self.documents for s in d.sections]

    @property
    def passages(self) -> list[Passage]:
        return [p for d in self.documents for p in d.passages]

    @property
    def general(self) -> list[Section]:
        return [d.general for d in self.documents if d.general is not None]

    def section(self, section_id: str) -> Section:
        return self._sections[section_id]

    def passage(self, passage_id: str) -> Passage | None:
        return self._passages.get(passage_id)

    def source_text(self, source: str) -> str:
        for d in self.documents:
            if d.source == source:
                return d.text
        raise KeyError(source)

    def cautions_for(self, section: Section) -> list[Passage]:
        """Article-level warnings of the document a section comes from."""
        return [p for d in self.documents if d.source == section.source and d.general
                for p in d.general.warnings]

    def comparisons_of(self, a: Section, b: Section) -> list[Passage]:
        """The article's own sentences comparing two methods (or their kinds of motion), in article order."""
        ids = [pid for d in self.documents for c in d.comparisons if c.covers(a, b) for pid in c.passages]
        found = [self._passages[i] for i in dict.fromkeys(ids) if i in self._passages]
        return sorted(found, key=lambda p: (p.source, p.start))

    def compares_directly(self, a: Section, b: Section) -> bool:
        """Whether the article compares these two methods themselves, not only their kinds of motion."""
        return any(c.between and c.covers(a, b) for d in self.documents for c in d.comparisons)

    def is_general(self, section_id: str) -> bool:
        return section_id == GENERAL_SECTION_ID or section_id.endswith("-general")
