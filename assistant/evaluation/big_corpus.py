"""A generated article of any number of passages, for the scale bench and the big-corpus tests.

Plain text (each paragraph a section, each sentence a passage), its words drawn deterministically from a small
vocabulary so that every sentence differs from the next and the same size always gives the same article."""

from __future__ import annotations

from pathlib import Path

_VERBS = ("Lift", "Lower", "Turn", "Press", "Roll", "Reach", "Hold", "Ease", "Slide", "Tilt", "Bend", "Rest")
_PARTS = ("knee", "elbow", "shoulder", "hip", "heel", "wrist", "chin", "palm", "ankle", "thumb", "rib", "neck")
_WAYS = ("slowly", "gently", "steadily", "softly", "evenly", "calmly", "lightly", "smoothly")
_PLACES = ("mat", "towel", "chair", "wall", "floor", "cushion", "bench", "step", "rail", "blanket", "rug")
SENTENCES_PER_SECTION = 10


def sentence(i: int) -> str:
    """The i-th generated sentence: no two in a row alike, none containing a sentence boundary."""
    return (f"{_VERBS[i % len(_VERBS)]} the {_PARTS[(i // 3) % len(_PARTS)]} {_WAYS[(i // 7) % len(_WAYS)]} "
            f"towards the {_PLACES[(i // 11) % len(_PLACES)]} for drill {i}.")


def article(passages: int) -> str:
    """An article of exactly `passages` sentences, in paragraphs of SENTENCES_PER_SECTION."""
    paragraphs = []
    for start in range(0, passages, SENTENCES_PER_SECTION):
        paragraphs.append(" ".join(sentence(i) for i in range(start, min(start + SENTENCES_PER_SECTION, passages))))
    return "\n\n".join(paragraphs) + "\n"


def write_article(folder: Path, passages: int, name: str = "900_generated.txt") -> Path:
    """Write the generated article of `passages` sentences into `folder` (a corpus folder); its path."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article(passages), encoding="utf-8")
    return path
