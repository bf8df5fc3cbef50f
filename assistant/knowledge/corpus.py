"""Parse article files (and their sidecars) into sections and exact-span passages."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from ..records import GENERAL_SECTION_ID, KINDS, Comparison, Document, Passage, Section, SectionTags
from .sentences import first_words, rule_kind, sentence_spans, trim

SIDECAR_SUFFIX = ".meta.yaml"
_INTRO_LINE = re.compile(r"^[ \t,]")  # the article's method intros start with a space or ", "


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    intro: bool


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Every *.txt file in the folder, parsed, in name order."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder not found: {corpus_dir}")
    files = sorted(corpus_dir.glob("*.txt"))
    if not files:
        raise CorpusError(f"no .txt articles in {corpus_dir}")
    docs = [parse_file(f) for f in files]
    seen: dict[str, str] = {}
    for doc in docs:
        for section in doc.sections:
            if section.id in seen:
                raise CorpusError(f"section id {section.id!r} is used by both {seen[section.id]} and {doc.source}")
            seen[section.id] = doc.source
    return docs


def parse_file(path: Path) -> Document:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"cannot read {path}: {exc}") from None
    meta = _read_sidecar(sidecar_path(path))
    return parse_text(text, source=f"corpus/{path.name}", meta=meta, sidecar_name=sidecar_path(path).name)


def parse_text(text: str, *, source: str, meta: dict | None = None, sidecar_name: str = "sidecar") -> Document:
    """Sections and passages of one article; `meta` is the sidecar (None: titles and kinds by rule)."""
    groups = _section_lines(text)
    if not groups:
        raise CorpusError(f"{source} has no text")
    meta = meta or {}
    section_meta = meta.get("sections") or []
    if section_meta and len(section_meta) != len(groups):
        raise CorpusError(f"{sidecar_name} describes {len(section_meta)} sections but {source} has {len(groups)}")
    overrides = {str(k): str(v) for k, v in (meta.get("kinds") or {}).items()}
    bad = {v for v in overrides.values() if v not in KINDS}
    if bad:
        raise CorpusError(f"{sidecar_name}: unknown kind {sorted(bad)[0]!r} (use one of {', '.join(KINDS)})")
    general_prefixes = [str(p) for p in meta.get("general") or []]
    used: set[str] = set()

    stem = Path(source).stem
    general = Section(GENERAL_SECTION_ID if meta else f"{_slug(stem)}-general",
                      str(meta.get("general_title") or "About cracking your back"), source, 0)
    sections: list[Section] = []
    order = 0
    for i, lines in enumerate(groups):
        info = section_meta[i] if section_meta else {}
        first = sentence_spans(text, lines[0].start, lines[0].end)[0]
        title = str(info.get("title") or first_words(text[first[0]:first[1]]))
        sid = str(info.get("id") or f"{_slug(stem)}-{i + 1}")
        section = Section(
            id=sid, title=title, source=source, order=i + 1,
            tags=SectionTags(
                region=tuple(info.get("region") or ()), position=tuple(info.get("position") or ()),
                equipment=tuple(info.get("equipment") or ()), partner=bool(info.get("partner", False)),
                risk=str(info.get("risk", "unknown")), motion=str(info.get("motion") or ""),
                posture=str(info.get("posture") or ""),
            ),
            aliases=tuple(str(a) for a in info.get("aliases") or ()),
            describes=tuple(str(a) for a in info.get("describes") or ()),
            professional_only=bool(info.get("professional_only", False)),
            refines=str(info.get("refines") or ""),
            marks=tuple(str(m).lower() for m in info.get("marks") or ()),
        )
        step_no = 0
        for line in lines:
            if not line.intro:
                step_no += 1
            for start, end in sentence_spans(text, line.start, line.end):
                sentence = text[start:end]
                target = section
                if any(sentence.startswith(p) for p in general_prefixes):
                    used.update(p for p in general_prefixes if sentence.startswith(p))
                    target = general
                kind = rule_kind(sentence, in_intro=line.intro)
                for prefix, forced in overrides.items():
                    if sentence.startswith(prefix):
                        kind = forced
                        used.add(prefix)
                if section.professional_only and kind in ("step", "tip"):
                    kind = "intro"  # the professional-only technique is never turned into instructions
                order += 1
                target.passages.append(Passage(
                    id=_passage_id(source, start, end, kind, target.id, target.title, sentence),
                    source=source, section_id=target.id, section_title=target.title, kind=kind,  # type: ignore[arg-type]
                    text=sentence, start=start, end=end, order=order,
                    step=None if line.intro or target is general else step_no,
                ))
        section.details = _details(section, info.get("details") or {}, sidecar_name)
        sections.append(section)
    unused = [p for p in (*overrides, *general_prefixes) if p not in used]
    if unused:
        raise CorpusError(f"{sidecar_name}: no sentence of {source} starts with {unused[0]!r}")
    return Document(source=source, text=text, sections=sections, general=general if general.passages else None,
                    comparisons=_comparisons(meta.get("comparisons") or [], sections, sidecar_name))


def _comparisons(raw: list, sections: list[Section], sidecar_name: str) -> list[Comparison]:
    """The sidecar's comparisons, each sentence found by its opening words in the sections it names."""
    ids = {s.id for s in sections}
    found = []
    for item in raw:
        between = tuple(str(x) for x in item.get("between") or ())
        unknown = [b for b in between if b not in ids]
        if unknown:
            raise CorpusError(f"{sidecar_name}: comparison names no section {unknown[0]!r}")
        passages = []
        for prefix in item.get("sentences") or ():
            hit = [p.id for s in sections for p in s.passages if p.text.startswith(str(prefix))]
            if not hit:
                raise CorpusError(f"{sidecar_name}: no sentence starts with {prefix!r} (comparisons)")
            passages.append(hit[0])
        found.append(Comparison(between, tuple(str(m) for m in item.get("motions") or ()), tuple(passages)))
    return found


def _details(section: Section, tagged: dict, sidecar_name: str) -> dict[str, tuple[str, ...]]:
    """Detail kind -> the passages of the section that give it, found by their opening words."""
    found: dict[str, tuple[str, ...]] = {}
    for kind, prefixes in tagged.items():
        ids = []
        for prefix in prefixes or ():
            hit = [p.id for p in section.passages if p.text.startswith(str(prefix))]
            if not hit:
                raise CorpusError(f"{sidecar_name}: no sentence of {section.id} starts with {prefix!r} ({kind})")
            ids += hit[:1]
        found[str(kind)] = tuple(dict.fromkeys(ids))
    return found


def _section_lines(text: str) -> list[list[_Line]]:
    """Group non-blank lines into sections.

    Article style (some lines start with a space or ", "): each such line opens a section and
    the plain lines after it are its steps. Plain text: each blank-line-separated paragraph is a
    section whose first line is its intro.
    """
    lines: list[_Line] = []
    blocks: list[list[_Line]] = [[]]
    offset = 0
    for raw in text.split("\n"):
        start, end = trim(text, offset, offset + len(raw))
        if end > start:
            line = _Line(start, end, bool(_INTRO_LINE.match(raw)))
            lines.append(line)
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
        offset += len(raw) + 1
    if any(line.intro for line in lines):
        groups: list[list[_Line]] = []
        for line in lines:
            if line.intro or not groups:
                groups.append([_Line(line.start, line.end, True)])
            else:
                groups[-1].append(line)
        return groups
    return [[_Line(b[0].start, b[0].end, True), *b[1:]] for b in blocks if b]


def _read_sidecar(path: Path) -> dict | None:
    if not path.exists():
        return None
    import yaml

    from ..yamlfile import safe_load

    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path.name} must be a mapping with a 'sections' list")
    return data


def _passage_id(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"
