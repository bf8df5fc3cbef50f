"""Hybrid retrieval: dense + BM25 fused, body-region vocabulary, whole sections per hit, a LangChain retriever."""

from __future__ import annotations

import pytest
from langchain_core.retrievers import BaseRetriever

from assistant.understanding.lexicon import asking_part, expand, facets, named_sections
from assistant.understanding.retrieval import fuse


@pytest.fixture(scope="module")
def retriever(bot):
    return bot._chain.retriever


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = fuse([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert fused["a"] == fused["b"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["a"] > fused["c"] > 0 and fused["d"] == pytest.approx(1 / 63)


def test_it_is_a_langchain_retriever_returning_the_best_scored_passages(retriever, library):
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("How do I roll my back on a foam cylinder?", k=6)
    foam = {p.id for p in library.section("foam-roller").passages}
    assert len(docs) == 6 and docs[0].id in foam and sum(d.id in foam for d in docs) >= 4
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    assert {"section_id", "section_title", "kind", "source", "start", "end", "score"} <= set(docs[0].metadata)


@pytest.mark.parametrize("phrase", ["mid back", "upper back", "between my shoulder blades", "middle of my back"])
def test_mid_back_words_all_mean_the_thoracic_region(phrase, library):
    assert facets(f"How do I stretch my {phrase}?", library.sections).regions == {"thoracic"}
    assert "thoracic" in expand(f"stretch my {phrase}")


def test_low_back_words_mean_the_lumbar_region(library):
    assert facets("what helps my lower back", library.sections).regions == {"lumbar"}


@pytest.mark.parametrize("question, partner", [
    ("my wife stands at a till all day and her low back gets stiff, what helps?", None),
    ("my wife and I want to try one together", True),
    ("can my boyfriend lift-me-from-behind safely?", True),
    ("is there one I can do with someone?", True),
    ("any I can do on my own?", False),
])
def test_a_person_named_is_a_partner_only_when_they_do_the_move_with_the_asker(question, partner, library):
    assert facets(question, library.sections).partner is partner


@pytest.mark.parametrize("question, avoided, wanted", [
    ("I work a till, can't sit down or lie on the floor at work, anything standing?",
     {"chair", "sitting on the floor", "lying on back", "kneeling"}, {"standing"}),
    ("I can't kneel, what else is there?", {"kneeling"}, set()),
    ("bad knees, I can't get down on the floor", {"lying on back", "kneeling", "sitting on the floor"}, set()),
    ("is there a quick move I can do without getting on the floor?",
     {"lying on back", "kneeling", "sitting on the floor"}, set()),
    ("if no one is around, can I do it sitting or standing?", set(), {"chair", "sitting on the floor", "standing"}),
])
def test_a_position_the_asker_cannot_take_is_one_to_do_without(question, avoided, wanted, library):
    f = facets(question, library.sections)
    assert f.without == avoided and f.positions == wanted


def test_the_bottom_of_the_spine_is_the_lumbar_region(library):
    assert facets("the bottom of my spine just above my bum is stiff", library.sections).regions == {"lumbar"}


def test_both_retrievers_contribute_to_the_ranking(retriever):
    dense = {h.passage_id for h in retriever.index.query("tight between shoulder blades", 10)}
    lexical = {pid for pid, _ in retriever.bm25.ranked("tight between shoulder blades", 10)}
    fused = retriever.search("tight between shoulder blades").passage_scores
    assert dense and lexical and dense != lexical
    assert dense | lexical <= set(fused)


@pytest.mark.parametrize("question", ["tight between my shoulder blades", "how long to hold the child's pose",
                                      "is the hug from behind risky", "rolling on firm foam"])
def test_in_memory_dense_search_agrees_with_chromas_own_query(retriever, question):
    mine = retriever.index.query(question, 10)
    theirs = retriever.index.query_chroma(question, 10)
    assert [h.passage_id for h in mine[:5]] == [h.passage_id for h in theirs[:5]]
    assert [h.similarity for h in mine] == pytest.approx([h.similarity for h in theirs], abs=1e-4)


def test_a_method_named_outright_ranks_first(retriever):
    result = retriever.search("is the hug from behind ok")
    assert result.sections[0].section.id == "hug-from-behind" and result.sections[0].named


@pytest.mark.parametrize("question, section", [
    ("kneeling and reaching my arms forward with my forehead down", "childs-pose"),
    ("using the edge of the mattress to bend backwards", "bed-edge-extension"),
    ("rolling on firm foam", "foam-roller"),
    ("someone squeezes me from the front", "hug-from-front"),
])
def test_descriptions_without_the_methods_name_find_it(retriever, question, section):
    assert section in retriever.search(question).section_ids()[:2]


def test_bm25_with_only_stopwords_returns_nothing(retriever):
    assert retriever.bm25.ranked("the and of", 5) == []


def test_off_topic_questions_are_far_from_every_passage(retriever):
    assert retriever.search("What's the capital of France?").best_similarity < 0.3
    assert retriever.search("How do I stretch my mid back?").best_similarity > 0.45


def test_bm25_query_tokens_are_exactly_what_bm25s_makes_of_the_same_text(retriever):
    from assistant.evaluation.bench import questions_from_evals
    from assistant.settings import REPO_ROOT

    bm25 = retriever.bm25
    texts = [*questions_from_evals(REPO_ROOT / "evals"), "Don't   CRACK it!! 30-second hold, isn't it?", "", "a of"]
    for text in texts:
        assert bm25.query_tokens(text) == bm25._tokens([text])[0], text


@pytest.mark.parametrize("question, first", [
    # the method named in the sentence that asks comes before one named in the story around it
    ("Madam I am 35, only mild stiffness in back from office chair, no other problem. In child pose should I hold "
     "breath?", "childs-pose"),
    ("I do the child's pose every morning. How do I do the chair twist?", "chair-rotation"),
    # a variant named with the move it varies is the variant (sidecar `refines`)
    ("for the standing lean back where you push on your spine with your hand, which hand?", "hand-pressure-extension"),
])
def test_the_method_named_where_the_question_asks_comes_first(question, first, library):
    named = named_sections(question, library.sections)
    assert len(named) == 2 and named[0] == first


def test_the_asking_part_is_the_last_sentence_with_a_question_mark():
    assert asking_part("long story. it hurts a bit. which hand do i use? thanks lol") == "which hand do i use?"
    assert asking_part("long story. tell me the steps") == "tell me the steps"
    assert asking_part("which hand do i use") == "which hand do i use"



@pytest.mark.parametrize("question, section", [
    # whose knees a name speaks of does not change the move
    ("lying on her back can she hug her knees, what are the steps", "knees-to-chest"),
    ("how do I pull your knees in, the one on the floor", "knees-to-chest"),
    # both knees drawn in is the knee hug; one knee pulled across is the knee lever
    ("the one where you lie down and pull both knees into your chest", "knees-to-chest"),
    ("the lying one where you pull your knee across your body", "lying-knee-lever"),
])
def test_a_name_is_read_whoever_the_body_belongs_to(question, section, library):
    assert named_sections(question, library.sections)[:1] == (section,)


@pytest.mark.parametrize("question, first", [
    # nothing said of a hand or pressing: the plain standing extension, though the variant's description is nearer
    ("where do i look when arching back standing up, at the ceiling?", "standing-extension"),
    # the variant's own marks
    ("when i arch back standing and press on my spine with my hand, which hand?", "hand-pressure-extension"),
])
def test_a_variant_comes_first_only_when_the_question_says_what_sets_it_apart(bot, question, first):
    found = bot._chain.search.search(question)
    assert found.sections[0].section.id == first
    assert found.described in (None, first)


@pytest.mark.parametrize("question, together", [
    ("what's good for hips and low back together?", True),
    ("my hips and low back are stiff, which move gets both?", True),
    ("which ones are good for the hips and lower back?", False),  # either will do: every method of either region
    ("what helps my mid back and low back at the same time?", True),
])
def test_two_regions_wanted_together_admit_only_a_method_that_covers_both(question, together, library):
    f = facets(question, library.sections)
    assert f.all_regions is together
    methods = [s for s in library.sections if not s.professional_only]
    admitted = {s.id for s in methods if f.admits(s)}
    covering = {s.id for s in methods if f.regions <= set(s.tags.region)}
    either = {s.id for s in methods if f.regions & set(s.tags.region)}
    assert len(f.regions) == 2 and covering < either
    assert admitted == (covering if together else either)


def test_the_whole_spine_is_a_region_of_its_own_that_the_foam_roller_covers(library):
    f = facets("is there one that does my whole spine top to bottom?", library.sections)
    assert f.regions == {"whole"}
    assert [s.id for s in library.sections if f.admits(s) and not s.professional_only] == ["foam-roller"]
    assert facets("my whole back is stiff, what can I do?", library.sections).regions == frozenset()
