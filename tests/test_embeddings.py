"""The embedders: the stand-in is deterministic and shaped like MiniLM; both satisfy the Embedder protocol."""

from __future__ import annotations

import math

from assistant.knowledge.embeddings import Embedder, HashingEmbeddings, SentenceEmbeddings


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_stand_in_gives_the_same_384_d_unit_vector_for_the_same_text_in_any_instance():
    a, b = HashingEmbeddings(), HashingEmbeddings()
    [doc] = a.embed_documents(["Hold the child's pose for 30 seconds."])
    assert doc == b.embed_query("Hold the child's pose for 30 seconds.") and len(doc) == 384
    assert math.isclose(math.sqrt(sum(v * v for v in doc)), 1.0, rel_tol=1e-9)
    assert math.isclose(math.sqrt(sum(v * v for v in a.embed_query("?!"))), 1.0, rel_tol=1e-9)


def test_the_stand_in_finds_texts_sharing_stemmed_words_closer_than_unrelated_ones():
    fake = HashingEmbeddings()
    q = fake.embed_query("stretching with a foam roller")
    near = fake.embed_query("Stretch over the foam rollers slowly")
    far = fake.embed_query("the hug from behind is risky for both participants")
    assert _cos(q, near) > 0.5 > _cos(q, far)


def test_repeated_questions_come_from_the_cache_and_are_counted():
    fake = HashingEmbeddings()
    first = fake.embed_query("How do I do the cat pose?")
    assert fake.embed_query("How do I do the cat pose?") == first and fake.cache_hits == 1


def test_both_embedders_satisfy_the_embedder_protocol_and_name_their_model():
    fake = HashingEmbeddings()
    assert isinstance(fake, Embedder) and isinstance(SentenceEmbeddings(), Embedder)  # no model loaded for either
    assert fake.model_name == "hashing-bag-of-stems-384" and SentenceEmbeddings().model_name.endswith("MiniLM-L6-v2")
