"""The citation check refuses anything that is not an exact, shown, referenced span."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from assistant.answering.citations import check
from assistant.errors import CitationError
from assistant.records import Citation


@pytest.fixture
def good(library):
    p = library.section("childs-pose").steps[2]
    c = Citation.of(1, p)
    return f"{c.quote} [1]", [c]


def test_an_exact_span_quoted_with_its_number_passes(good, library):
    answer, citations = good
    check(answer, citations, library)


@pytest.mark.parametrize("tamper, message", [
    (lambda a, c: (a, [replace(c[0], quote=c[0].quote.replace("30", "60"))]), "not an exact span"),
    (lambda a, c: (a, [replace(c[0], start=c[0].start + 1)]), "not an exact span"),
    (lambda a, c: (a, [replace(c[0], source="corpus/other.txt")]), "unknown source"),
    (lambda a, c: (a + " See [2].", c), r"cites \[2\]"),
    (lambda a, c: (a.replace(" [1]", ""), c), "not quoted verbatim"),
    (lambda a, c: (a, [replace(c[0], n=3)]), "not 1..N"),
    (lambda a, c: (a.replace("30 seconds", "thirty seconds"), c), "not quoted verbatim"),
])
def test_every_kind_of_bad_citation_is_refused(good, library, tamper, message):
    answer, citations = tamper(*good)
    with pytest.raises(CitationError, match=message):
        check(answer, citations, library)


def test_a_reply_that_fails_the_check_is_withheld_and_logged(fake_bot, monkeypatch, caplog):
    composer = fake_bot._chain.composer
    real = composer.compose

    def paraphrasing(plan, retrieval, **kw):
        draft = real(plan, retrieval, **kw)
        draft.citations[0] = replace(draft.citations[0], quote=draft.citations[0].quote.upper())
        return draft

    monkeypatch.setattr(composer, "compose", paraphrasing)
    with caplog.at_level(logging.ERROR, logger="assistant.answering.chain"):
        reply = fake_bot.ask("How do I use a foam roller?")
    assert reply.status == "out_of_scope" and reply.citations == []
    assert "couldn't check every quote" in reply.answer
    assert any("reply withheld" in r.message for r in caplog.records)
