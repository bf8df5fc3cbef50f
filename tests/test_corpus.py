"""The article becomes sections and passages whose spans are exactly the source text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.errors import CorpusError
from assistant.knowledge.corpus import load_corpus, parse_file, parse_text

from .conftest import ARTICLE, REPO

EXPECTED_IDS = [
    "knees-to-chest", "childs-pose", "standing-extension", "hand-pressure-extension", "standing-rotation",
    "seated-floor-rotation", "chair-rotation", "lying-knee-lever", "foam-roller", "bed-edge-extension",
    "hug-from-front", "hug-from-behind", "professional-technique",
]


@pytest.fixture(scope="module")
def doc():
    return parse_file(ARTICLE)


def test_corpus_holds_the_article_verbatim():
    seed = REPO.parent / "shared" / "seeds" / ARTICLE.name
    if not seed.exists():
        pytest.skip("shared/ is not beside this checkout")
    assert ARTICLE.read_bytes() == seed.read_bytes()


def test_every_passage_is_an_exact_span_of_the_source(doc):
    text = ARTICLE.read_text(encoding="utf-8")
    assert len(doc.passages) > 80
    for p in doc.passages:
        assert text[p.start:p.end] == p.text
        assert p.text == p.text.strip() and not p.text.startswith(",") and not p.text.endswith(";")


def test_passages_cover_every_sentence_once(doc):
    spans = sorted((p.start, p.end) for p in doc.passages)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    covered = "".join(ARTICLE.read_text(encoding="utf-8")[s:e] for s, e in spans)
    assert "osteoarthritis" in covered and "licensed professional" in covered


def test_the_thirteen_methods_have_stable_ids_and_titles_in_article_order(doc):
    assert [s.id for s in doc.sections] == EXPECTED_IDS
    assert doc.sections[1].title == "Child's pose"
    assert doc.sections[11].title == "Hug from behind"


def test_sections_carry_sidecar_tags(doc):
    by_id = {s.id: s for s in doc.sections}
    assert by_id["hug-from-front"].tags.partner is True
    assert "thoracic" in by_id["foam-roller"].tags.region
    assert by_id["chair-rotation"].tags.position == ("chair",)
    assert by_id["hug-from-behind"].tags.risk == "high"


def test_sentence_level_warning_inside_an_intro_is_its_own_warning_passage(doc):
    hug = next(s for s in doc.sections if s.id == "hug-from-front")
    warning = [p for p in hug.passages if p.text.startswith("Be careful though")]
    assert len(warning) == 1 and warning[0].kind == "warning"
    assert warning[0].text == "Be careful though, because broken ribs and lung injuries are possible."


def test_warning_sentence_inside_a_step_line_is_split_from_the_step(doc):
    knees = next(s for s in doc.sections if s.id == "knees-to-chest")
    kinds = {p.text[:20]: p.kind for p in knees.passages}
    assert kinds["You may have to slow"] == "tip"
    assert kinds["Never aggressively b"] == "warning"


def test_article_wide_cautions_are_article_level_warnings(doc):
    assert doc.general is not None
    texts = [p.text for p in doc.general.warnings]
    assert any("osteoarthritis" in t for t in texts)
    assert any("don't focus too hard on trying to achieve any cracking sounds" in t for t in texts)
    assert not any("osteoarthritis" in p.text for s in doc.sections for p in s.passages)


def test_professional_only_technique_has_no_steps_or_tips(doc):
    pro = doc.sections[-1]
    assert pro.professional_only
    assert pro.passages and not pro.of_kind("step", "tip")


def test_steps_keep_their_line_number_within_the_section(doc):
    child = doc.sections[1]
    assert [p.step for p in child.steps] == [1, 1, 2, 2]


def test_wording_rules_alone_find_every_warning_the_sidecar_confirms():
    meta = yaml.safe_load(ARTICLE.with_name(ARTICLE.stem + ".meta.yaml").read_text(encoding="utf-8"))
    text = ARTICLE.read_text(encoding="utf-8")
    with_sidecar = parse_text(text, source="corpus/a.txt", meta=meta)
    meta.pop("kinds")
    by_rule = parse_text(text, source="corpus/a.txt", meta=meta)
    confirmed = {p.text for p in with_sidecar.passages if p.kind == "warning"}
    found = {p.text for p in by_rule.passages if p.kind == "warning"}
    assert len(confirmed) >= 15
    assert confirmed <= found


def test_passage_ids_are_stable_content_hashes(doc):
    again = parse_file(ARTICLE)
    assert [p.id for p in again.passages] == [p.id for p in doc.passages]
    assert len({p.id for p in doc.passages}) == len(doc.passages)


def test_document_without_sidecar_gets_titles_from_first_sentence_and_warnings_by_rule(tmp_path: Path):
    text = ("Neck rolls loosen the upper back. Do them slowly.\n"
            "Sit tall and roll your head in a circle.\nNever force the motion past a comfortable range.\n\n"
            "Wall angels open the chest. They need a wall.\nStand with your back to a wall.\n")
    path = tmp_path / "extra.txt"
    path.write_text(text, encoding="utf-8")
    doc = parse_file(path)
    assert [s.title for s in doc.sections] == ["Neck rolls loosen the upper back", "Wall angels open the chest"]
    assert [p.kind for p in doc.sections[0].passages] == ["intro", "intro", "step", "warning"]
    assert all(text[p.start:p.end] == p.text for p in doc.passages)


@pytest.mark.parametrize("change, message", [
    (lambda m: m["sections"].pop(), "describes 12 sections"),
    (lambda m: m["kinds"].update({"No such sentence": "tip"}), "no sentence"),
    (lambda m: m["kinds"].update({"Don't hold your breath.": "banana"}), "unknown kind"),
])
def test_a_sidecar_that_does_not_fit_the_article_is_rejected_by_name(tmp_path, change, message):
    meta = yaml.safe_load(ARTICLE.with_name(ARTICLE.stem + ".meta.yaml").read_text(encoding="utf-8"))
    change(meta)
    (tmp_path / ARTICLE.name).write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / (ARTICLE.stem + ".meta.yaml")).write_text(yaml.safe_dump(meta), encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_an_empty_corpus_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no .txt articles"):
        load_corpus(tmp_path)
