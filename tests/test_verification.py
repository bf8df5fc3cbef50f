"""Sentence-level checks of a model's answer against the numbered passages it was given."""

from __future__ import annotations

import pytest

from assistant.answering.verification import cited_numbers, split_sentences, support, verify
from assistant.records import Citation


@pytest.fixture(scope="module")
def given(library):
    """The child's pose steps, then the knees-to-chest warning, numbered as a model would see them."""
    child = library.section("childs-pose")
    knees = library.section("knees-to-chest")
    return [Citation.of(i, p) for i, p in enumerate([*child.steps, *knees.warnings], start=1)]


def test_sentences_keep_their_markers_whether_before_or_after_the_full_stop():
    parts = split_sentences("Kneel down [1]. Reach forward. [1][2] Hold it [2, 3].\n2. Breathe normally [2].")
    assert [s.text for s in parts] == ["Kneel down [1].", "Reach forward. [1][2]", "Hold it [2, 3].",
                                       "Breathe normally [2]."]
    assert [s.cited for s in parts] == [(1,), (1, 2), (2, 3), (2,)]
    assert parts[-1].bullet == "2. " and parts[-1].line == 1


def test_a_marker_on_a_line_of_its_own_belongs_to_the_sentence_before():
    parts = split_sentences("Kneel on a padded surface.\n[1]")
    assert len(parts) == 1 and parts[0].cited == (1,)


def test_cited_numbers_are_in_order_without_repeats():
    assert cited_numbers("a [3] b [1, 3] c [2]") == (3, 1, 2)


def test_a_paraphrase_is_supported_and_an_invention_is_not(given):
    step = given[0].quote
    assert support("Kneel on a padded surface and sit back on the soles of your feet", [step]) >= 0.7
    assert support("Hang upside down from a pull-up bar for five minutes", [step]) < 0.3


def test_each_failing_sentence_is_dropped_with_its_reason(given, library):
    answer = ("Kneel on a padded surface with your buttocks on your feet [1]. "
              "Then hang upside down from a bar for five minutes [1]. "
              "This stretch is great. "
              'The article says "hold for ten minutes" [2]. '
              "Hold it for about 30 seconds [9].")
    verdict = verify(answer, given, library, min_support=0.5)
    reasons = {s.text.split()[0]: s.reason for s in verdict.dropped}
    assert [s.text for s in verdict.kept] == ["Kneel on a padded surface with your buttocks on your feet [1]."]
    assert "content" in reasons["Then"] and "cites no passage" == reasons["This"]
    assert "verbatim" in reasons["The"] and "not given" in reasons["Hold"]


def test_every_warning_of_a_described_method_must_be_cited(library):
    knees = library.section("knees-to-chest")
    given = [Citation.of(i, p) for i, p in enumerate([*knees.steps, *knees.warnings], start=1)]
    warned = [i for i, c in enumerate(given, start=1) if c.kind == "warning"]
    step = knees.steps[0].text.split(".")[0]
    without = verify(f"{step} [1].", given, library, 0.5)
    assert not without.grounded and [c.quote for c in without.missing_warnings] == [w.text for w in knees.warnings]
    marks = "".join(f"[{i}]" for i in warned)
    warning = knees.warnings[0].text.split(".")[0]
    with_them = verify(f"{step} [1]. {warning} {marks}.", given, library, 0.5)
    assert with_them.grounded and not with_them.missing_warnings


def test_warnings_of_a_method_not_described_are_not_required(given, library):
    verdict = verify("Kneel on a padded surface [1].", given, library, 0.5)  # child's pose only
    assert verdict.grounded


def test_kept_citations_are_renumbered_in_order_of_first_use(given, library):
    second = given[1].quote.rstrip(".")
    verdict = verify(f"{second} [2]. Kneel on a padded surface [1].", given, library, 0.5)
    assert verdict.answer == f"{second} [1]. Kneel on a padded surface [2]."
    assert [c.n for c in verdict.citations] == [1, 2]
    assert verdict.citations[0].quote == given[1].quote and verdict.citations[1].quote == given[0].quote
