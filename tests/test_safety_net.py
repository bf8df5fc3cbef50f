"""The semantic safety net: each bank's own examples, read by the net alone (no lexicon); ConText keeps negated,
someone else's and passing clauses from it; it only ever adds a referral; with another embedding model it is off."""

from __future__ import annotations

import pytest

from assistant.settings import REPO_ROOT
from assistant.understanding.clinical import Clause, Reading
from assistant.understanding.safety_net import Banks, SafetyNet
from assistant.understanding.triage import default_triager

BANKS = Banks.load(REPO_ROOT / "lexicon")
MATCH = [(b.group, q) for b in BANKS.groups for q in b.should_match]
NO_MATCH = [(b.group, q) for b in BANKS.groups for q in b.should_not_match]


@pytest.fixture(scope="module")
def net(bot) -> SafetyNet:
    assert bot._chain.triager.net is not None, "the real model's assistant carries the net"
    return bot._chain.triager.net


def read(text: str) -> Reading:
    return default_triager().reader.read(text)


def test_every_bank_carries_examples_both_ways():
    assert all(b.should_match and b.should_not_match for b in BANKS.groups)


@pytest.mark.parametrize("group, question", MATCH, ids=[f"{g}:{q[:40]}" for g, q in MATCH])
def test_the_net_alone_finds_its_banks_should_match_examples(net, group, question):
    found = net.find(read(question))
    assert found is not None and found.group == group


@pytest.mark.parametrize("group, question", NO_MATCH, ids=[f"{g}:{q[:40]}" for g, q in NO_MATCH])
def test_the_net_alone_leaves_ordinary_questions_alone(net, group, question):
    assert net.find(read(question)) is None


@pytest.mark.parametrize("question", [
    "I have no numbness around my groin or bum or anything, just stiff",
    "my brother had rods and screws put in his spine, how do I do the child's pose?",
])
def test_a_clause_context_discounts_is_not_judged(net, question):
    reading = read(question)
    assert any(c.flags for c in reading.clauses)
    assert net.find(reading) is None


def test_a_sign_the_net_would_find_is_kept_from_it_when_negated(net):
    sign = Clause("my groin has gone numb and i can not feel the toilet paper", frozenset())
    assert net.find(Reading((), False, (sign,))) is not None
    negated = Clause(sign.text, frozenset({"NEGATED_EXISTENCE"}))
    assert net.find(Reading((), False, (negated,))) is None
    someone_else = Clause(sign.text, frozenset({"OTHER_EXPERIENCER"}))
    assert net.find(Reading((), False, (someone_else,))) is None
    assert net.find(Reading((), True, (someone_else,))) is not None  # the move is for that person


def test_a_clause_holding_a_sign_the_lexicon_discounted_is_not_judged_again(bot, net):
    sign = Clause("i have lost 10 kilos this year", frozenset(), 0, 30)
    assert net.find(Reading((), False, (sign,))) is not None, "alone, the clause reads as weight loss"
    assert net.find(Reading((), False, (sign,)), discounted=((9, 19),)) is None
    question = ("I've lost 10 kilos on purpose this year with running and calorie counting, "
                "how do I do the knees-to-chest?")
    reading = read(question)
    assert [f.flags for f in reading.findings if f.concept == "weight_loss"] == [frozenset({"INTENTIONAL"})]
    assert bot._chain.triager(question).status == "ok"


SETTLED = default_triager().lexicon
AGE_EXAMPLES = SETTLED.settled_by_age_examples


@pytest.mark.parametrize("example", AGE_EXAMPLES, ids=[e["text"][:40] for e in AGE_EXAMPLES])
def test_a_strain_a_young_stated_age_settles_is_not_judged_again_by_the_net(bot, example):
    triage = bot._chain.triager(example["text"])
    assert (triage.status == "referral") is example["referred"], triage


def test_a_young_age_does_not_keep_another_sign_from_the_net(bot):
    question = ("I'm 38. went flying off my mountain bike on a descent and got launched onto a rock back first, "
                "how do i stretch it out?")
    assert bot._chain.triager.red_flag(question, semantic=False) is None, "the lexicon alone misses it"
    triage = bot._chain.triager(question)
    assert triage.status == "referral" and triage.group == "fracture", triage


def test_a_signs_words_that_only_look_like_one_are_kept_from_the_net_too():
    text = "I feel like I've been hit by a truck after the gym, how do I foam roll?"
    reading = read(text)
    assert not [f for f in reading.findings if f.concept == "major_trauma"]
    assert [text[a:b] for a, b in reading.not_signs] == ["hit by a truck"]


def test_past_counts_only_for_the_groups_whose_bank_says_so(net):
    past_fall = Clause("i came off my bike at speed and hit the road", frozenset({"HISTORICAL"}))
    assert net.find(Reading((), False, (past_fall,))) is None
    past_cancer = Clause("i had cancer and chemotherapy", frozenset({"HISTORICAL"}))
    found = net.find(Reading((), False, (past_cancer,)))
    assert found is not None and found.group == "tumour_infection"


def test_a_referral_from_the_net_is_a_referral_with_the_groups_wording(bot):
    question = ("went flying off my mountain bike on a descent and got launched onto a rock back first, "
                "how do i stretch it out?")
    assert bot._chain.triager.red_flag(question, semantic=False) is None, "the lexicon alone misses it"
    reply = bot.ask(question)
    assert reply.status == "referral" and reply.flag == "fracture" and not reply.citations


def test_cauda_equina_found_by_the_net_is_an_emergency(bot):
    triage = bot._chain.triager.red_flag("since yesterday it feels numb down below like after a dentist injection")
    assert triage is not None and triage.group == "cauda_equina" and triage.emergency


def test_the_net_is_off_for_an_embedding_model_its_thresholds_were_not_chosen_for(fake_bot, fake_embeddings):
    assert not BANKS.fits(fake_embeddings)
    assert SafetyNet.load(REPO_ROOT / "lexicon", fake_embeddings) is None
    assert fake_bot._chain.triager.net is None


@pytest.fixture(scope="module")
def onnx_net(bot, settings, embeddings) -> SafetyNet:
    """The net over the ONNX encoder the session index's ingest exported: the one that gives token states."""
    from assistant.knowledge.query_encoder import OnnxQueryEncoder, query_encoder

    encoder = query_encoder(settings, fallback=embeddings)
    assert isinstance(encoder, OnnxQueryEncoder)
    net = SafetyNet.load(REPO_ROOT / "lexicon", encoder)
    assert net is not None
    return net


@pytest.mark.parametrize("group, question", MATCH, ids=[f"{g}:{q[:40]}" for g, q in MATCH])
def test_the_gated_net_still_finds_its_banks_should_match_examples(onnx_net, group, question):
    found = onnx_net.find(read(question), question)
    assert found is not None and found.group == group


@pytest.mark.parametrize("group, question", NO_MATCH, ids=[f"{g}:{q[:40]}" for g, q in NO_MATCH])
def test_the_gated_net_leaves_ordinary_questions_alone(onnx_net, group, question):
    assert onnx_net.find(read(question), question) is None


def test_the_gated_net_leaves_the_questions_vector_for_retrieval(onnx_net, monkeypatch):
    question = "my lower back feels tight today, how do I do the child's pose?"
    encoder = onnx_net.embeddings
    encoder.clear_cache()
    onnx_net.find(read(question), question)
    hits = encoder.cache_hits
    expected = encoder.encode([question])[0]

    def second_pass(texts, batch_size=32):
        raise AssertionError(f"embedded again: {texts}")

    monkeypatch.setattr(encoder, "encode", second_pass)
    vector = encoder.embed_query(question)  # retrieval's embedding is the net's pass
    assert max(abs(a - b) for a, b in zip(vector, expected, strict=True)) < 1e-5
    assert encoder.cache_hits == hits, "the question was embedded once, not found again in the cache"


def test_clauses_know_where_they_lie_in_the_question_as_asked():
    question = "I can't feel my bum when I wipe, so which stretch?"
    clauses = read(question).clauses
    assert [question[c.start:c.end] for c in clauses] == ["I can't feel my bum when I wipe", "which stretch"]
    assert clauses[0].text == "i can not feel my bum when i wipe"


def test_when_two_groups_pass_for_a_clause_the_emergency_one_wins(net):
    class Scores:  # both groups past the threshold and the margin; the nerve-root bank nearer
        def scores(self, vector):
            return {"ordinary": 0.3, "nerve_root": 0.72, "cauda_equina": 0.66}

    both = SafetyNet.__new__(SafetyNet)
    both.__dict__.update(net.__dict__)
    both.router = Scores()
    found = both._decide([Clause("it has been numb for days", frozenset())], [None])
    assert found is not None and found.group == "cauda_equina" and "cauda_equina" in net.urgent
