"""Follow-ups that resolve against the methods a conversation has in play, and detail asks read before safety words."""

from __future__ import annotations

import pytest


def test_two_methods_mentioned_stay_in_play_so_a_detail_follow_up_asks_which(bot):
    first, second = bot.conversation(["I've been doing the kneeling yoga one and the standing lean back",
                                      "how long do I hold it?"])
    assert first.status == "answered" and set(first.focus) == {"childs-pose", "standing-extension"}
    assert second.status == "clarify" and set(second.focus) == {"childs-pose", "standing-extension"}


def test_the_other_one_after_two_named_methods_is_the_second(bot):
    first, second = bot.conversation(["there's a front hug and a back hug right? tell me the front one first",
                                      "ok and the other one?"])
    assert first.focus[0] == "hug-from-front"
    assert second.status == "answered" and second.focus == ("hug-from-behind",)
    assert {c.section_id for c in second.citations} >= {"hug-from-behind"}


def test_a_quantity_asked_with_safety_words_is_a_detail(bot):
    reply = bot.ask("how many times a day is it ok to do the hug from behind?")
    assert reply.intent == "not_given" and reply.focus == ("hug-from-behind",)
    assert not any("three to five times" in c.quote for c in reply.citations)


def test_a_time_of_day_asked_of_one_method_is_a_detail_not_a_comparison(bot):
    reply = bot.ask("is the knees to chest better first thing in the morning or before bed?")
    assert reply.intent == "not_given" and reply.focus == ("knees-to-chest",)


@pytest.mark.parametrize("question, more_than", [("what are the twisting ones?", 1),
                                                ("what are all the rotating ones?", 2)])
def test_a_motion_asked_for_lists_only_the_methods_of_that_motion_whatever_the_wording(bot, library, question,
                                                                                        more_than):
    reply = bot.ask(question)
    assert reply.intent == "which" and len(reply.focus) > more_than
    assert {library.section(s).tags.motion for s in reply.focus} == {"rotation"}


def test_a_how_to_that_names_a_method_gets_its_steps_even_when_it_mentions_the_arms(bot):
    reply = bot.ask("how do I do the child's pose where you stretch your arms out along the floor?")
    assert reply.intent == "howto" and reply.focus == ("childs-pose",)
    assert any(c.quote.startswith("Kneel on a padded surface") for c in reply.citations)


def test_one_detail_asked_of_two_methods_gives_each_ones_sentence_and_warnings(bot, library):
    reply = bot.ask("is there any difference in how long you hold the knees to chest vs the child's pose?")
    assert reply.intent == "compare" and set(reply.focus) == {"knees-to-chest", "childs-pose"}
    for sid in reply.focus:
        section = library.section(sid)
        tagged = {p.text for p in section.passages if p.id in section.details["hold"]}
        assert any(c.section_id == sid and c.quote in tagged for c in reply.citations)
    warnings = [p.text for p in library.section("knees-to-chest").warnings]
    assert any(c.quote in warnings for c in reply.citations)


def test_where_it_pops_is_the_part_of_the_back_a_method_acts_on(bot, library):
    reply = bot.ask("where should i feel it pop with the lying knee across thing")
    assert reply.intent == "detail" and reply.focus == ("lying-knee-lever",)
    lever = library.section("lying-knee-lever")
    tagged = {p.text for p in lever.passages if p.id in lever.details["where"]}
    assert any(c.quote in tagged for c in reply.citations)


def test_the_two_methods_of_a_kind_are_compared_and_a_follow_up_then_asks_which(bot):
    first, second = bot.conversation(["what's the difference between the two hug methods?", "ok so how do we do it"])
    assert first.intent == "compare" and set(first.focus) == {"hug-from-front", "hug-from-behind"}
    assert second.status == "clarify" and set(second.focus) == {"hug-from-front", "hug-from-behind"}


def test_which_way_to_turn_is_answered_by_the_sentence_that_gives_the_direction(bot):
    reply = bot.ask("in the floor twist do I turn towards my bent knee or away from it?")
    assert reply.intent == "detail" and reply.focus == ("seated-floor-rotation",)
    assert any("opposite direction" in c.quote or "same side as your bent knee" in c.quote for c in reply.citations)


def test_a_motion_named_beside_one_method_and_a_detail_still_makes_a_comparison(bot):
    reply = bot.ask("does the kneeling child's pose stretch the back muscles as much as arching backwards?")
    assert reply.intent == "compare" and set(reply.focus) >= {"childs-pose", "standing-extension"}


def test_which_of_a_kind_is_easier_weighs_every_method_of_that_kind_with_the_articles_own_sentences(bot):
    reply = bot.ask("which of the hug ones is easier to get right?")
    assert reply.intent == "compare" and set(reply.focus) == {"hug-from-front", "hug-from-behind"}
    assert any("coordination" in c.quote for c in reply.citations)


def test_a_comparison_by_region_the_article_never_makes_says_so_and_gives_where_each_acts(bot):
    reply = bot.ask("for my upper back, the foam roller or the edge of the bed, which one?")
    assert reply.intent == "compare" and set(reply.focus) == {"foam-roller", "bed-edge-extension"}
    assert reply.answer.startswith("The article does not compare")
    assert {"foam-roller", "bed-edge-extension"} <= {c.section_id for c in reply.citations if "mid back" in c.quote}


def test_a_detail_asked_of_a_move_known_only_by_its_posture_is_that_moves_detail(bot):
    reply = bot.ask("been doing the kneeling one for ages and never a single crack, am i doing it wrong?")
    assert reply.intent == "detail" and reply.focus == ("childs-pose",)
    assert any("may not lead to any cracking sounds" in c.quote for c in reply.citations)


def test_two_details_asked_in_one_breath_are_both_answered(bot):
    reply = bot.ask("for the child's pose, how long do I stay down and how many times a day?")
    assert reply.intent == "detail" and reply.focus == ("childs-pose",)
    quotes = " ".join(c.quote for c in reply.citations)
    assert "30 seconds" in quotes and "three to five times daily" in quotes


@pytest.mark.parametrize("first", ["which of them are twisting ones?", "which ones need another person to help",
                                   "which ones do you do lying on your back"])
def test_which_ones_lists_the_methods_and_a_follow_up_on_it_asks_which_is_meant(bot, first):
    listed, followup = bot.conversation([first, "ok how do i do it"])
    assert listed.status == "answered" and listed.intent == "which" and len(listed.focus) > 1
    assert followup.status == "clarify" and set(followup.focus) <= set(listed.focus)


def test_a_name_written_with_hyphens_is_the_same_name(bot):
    reply = bot.ask("how is the hands-behind-your-head arch done?")
    assert reply.intent == "howto" and reply.focus == ("standing-extension",)


def test_a_move_named_beside_its_variant_told_apart_by_the_variants_marks_is_a_comparison(bot):
    reply = bot.ask("how does the standing arch differ from the one where you push on the tight spot with a fist?")
    assert reply.intent == "compare" and set(reply.focus) == {"standing-extension", "hand-pressure-extension"}


def test_a_list_asked_for_lists_the_methods_of_that_motion_and_a_detail_then_asks_which(bot, library):
    first, second = bot.conversation(["list the moves that bend you backwards", "how long should I hold it?"])
    assert first.intent == "which" and len(first.focus) > 1
    assert {library.section(s).tags.motion for s in first.focus} == {"extension"}
    assert second.status == "clarify" and set(second.focus) <= set(first.focus)


def test_professionals_named_as_a_likeness_in_a_follow_up_ask_about_the_move_in_focus(bot):
    first, second = bot.conversation(["how do I do the lying knee lever?",
                                      "is this what an osteopath does to you?"])
    assert first.focus == ("lying-knee-lever",)
    assert second.status == "answered" and second.focus == ("lying-knee-lever",)
    assert any("similar position that a chiropractor" in c.quote for c in second.citations)


@pytest.mark.parametrize("question, section", [
    ("is the hug from behind for the mid back or the low back?", "hug-from-behind"),
    ("does the bed edge one do my upper back or lower?", "bed-edge-extension"),
])
def test_a_choice_of_two_regions_asked_of_a_named_move_is_where_it_acts(bot, library, question, section):
    reply = bot.ask(question)
    assert reply.status == "answered" and reply.focus == (section,)
    method = library.section(section)
    tagged = {p.text for p in method.passages if p.id in method.details["where"]}
    assert any(c.quote in tagged for c in reply.citations)


def test_where_the_helpers_hands_go_after_the_partner_moves_are_listed_asks_which_is_meant(bot):
    first, second = bot.conversation(["which moves need another person?", "where does my partner put their hands?"])
    assert set(first.focus) == {"hug-from-front", "hug-from-behind"}
    assert second.status == "clarify" and set(second.focus) == {"hug-from-front", "hug-from-behind"}


def test_without_the_thing_said_as_havent_got_it_is_another_move_of_the_same_kind(bot):
    first = bot.ask("how do i do the chair twist")
    reply = bot.ask("what if i havent got a chair, can i do it on the floor instead", [first])
    assert reply.focus[:1] == ("seated-floor-rotation",), reply.answer


@pytest.mark.parametrize("pick, n", [("3", 3), ("number 2", 2), ("the second one", 2), ("1.", 1)])
def test_a_number_after_a_list_picks_that_item(bot, pick, n):
    listed = bot.ask("my lower back is stiff")
    assert listed.intent == "which" and len(listed.focus) >= 3
    reply = bot.ask(pick, [listed])
    assert reply.intent == "howto" and reply.focus[:1] == (listed.focus[n - 1],), reply.answer


def test_a_number_after_a_clarifying_reply_answers_the_detail_asked_of_that_item(bot):
    listed = bot.ask("what can i do lying on the floor")
    clarify = bot.ask("how long do i hold it", [listed])
    assert clarify.status == "clarify"
    reply = bot.ask("2", [listed, clarify])
    assert reply.intent == "detail" and reply.focus[:1] == (clarify.focus[1],), reply.answer


def test_a_detail_asked_of_it_with_nothing_before_asks_which_move_among_those_that_give_it(bot, library):
    reply = bot.ask("how long do i hold it?")
    assert reply.status == "clarify" and len(reply.focus) > 1, reply.answer
    assert all("hold" in library.section(s).details for s in reply.focus)
    picked = bot.conversation(["how long do i hold it?", "2"])[-1]
    assert picked.status == "answered" and picked.focus[:1] == reply.focus[1:2], picked.answer


@pytest.mark.parametrize("turns", [["how do i do the chair twist", "im 78 btw, is that ok?"],
                                   ["how do I do the bed edge one?", "is that safe for my mum, she's 80?"]])
def test_whether_a_move_suits_someone_over_50_gets_its_risks_and_that_the_article_says_nothing_of_age(bot, turns):
    reply = bot.conversation(turns)[-1]
    assert reply.status == "answered" and reply.intent == "safety", reply.answer
    assert "The article says nothing about age" in reply.answer


def test_a_young_age_gets_no_note_on_age(bot):
    assert "nothing about age" not in bot.ask("is the chair twist safe? I'm 30").answer


def test_what_about_on_the_floor_after_a_move_is_the_move_of_the_same_kind_done_on_the_floor(bot):
    reply = bot.conversation(["how do i do the chair twist?", "what about on the floor?"])[-1]
    assert reply.intent == "howto" and reply.focus[:1] == ("seated-floor-rotation",), reply.answer


@pytest.mark.parametrize("question", ["upper back, standing, no equipment", "low back, on my own, lying down"])
def test_a_request_made_only_of_what_it_wants_is_a_list_of_the_moves_that_fit(bot, question):
    reply = bot.ask(question)
    assert reply.status == "answered" and reply.intent == "which", reply.answer


def test_a_move_picked_by_name_after_which_one_do_you_mean_gets_the_detail_asked(bot):
    reply = bot.conversation(["how long do I hold it?", "the chair one"])[-1]
    assert reply.intent == "detail" and reply.focus == ("chair-rotation",), reply.answer
    assert "holding for a few seconds" in reply.citations[0].quote


def test_a_follow_up_about_one_of_a_moves_tips_opens_with_that_tip_then_the_steps(bot, library):
    reply = bot.conversation(["how do i do child's pose?", "what if my belly gets in the way?"])[-1]
    assert reply.citations[0].quote.startswith("You may not be very flexible, or your belly may get in the way")
    assert all(p.text in reply.answer for p in library.section("childs-pose").steps)


def test_a_move_of_the_list_picked_by_its_kind_asks_which_of_that_kind_is_meant(bot, library):
    _, twist = bot.conversation(["what stretches are there for the back?", "how do I do the twisting one?"])
    assert twist.status == "clarify" and len(twist.focus) >= 2
    assert all(library.section(s).tags.motion == "rotation" for s in twist.focus), twist.focus
    listed, floor = bot.conversation(["which ones for my mid back?", "how do I do the one on the floor?"])
    assert floor.status == "clarify" and set(floor.focus) < set(listed.focus), floor.focus


def test_getting_back_up_after_a_move_asks_how_to_come_out_of_it_not_about_the_back(bot):
    _, up = bot.conversation(["How do I do the bed edge extension?", "how do I get back up after?"])
    assert up.status == "answered" and up.focus == ("bed-edge-extension",)
    assert "full sit-up to get back to the original position" in up.citations[0].quote, up.answer


@pytest.mark.parametrize("pick, n", [("tell me about number 3", 3), ("how do i do number 4?", 4),
                                     ("how long do I hold the third one?", 3)])
def test_a_number_said_inside_a_short_request_picks_that_item_with_the_detail_asked(bot, pick, n):
    listing, picked = bot.conversation(["what's good for my upper back?", pick])
    assert picked.status == "answered" and picked.focus == (listing.focus[n - 1],), picked.answer
    assert picked.intent in (("detail", "not_given") if "hold" in pick else ("howto",))


def test_a_part_of_the_back_asked_after_a_move_that_speaks_of_it_is_that_moves_answer(bot):
    _, low = bot.conversation(["how do I use the foam roller?", "and what about my lower back?"])
    assert low.focus == ("foam-roller",), low.answer
    assert any(c.quote.startswith("Never lie with your low back flat") for c in low.citations)
    _, other = bot.conversation(["How do I do the child's pose?", "what about the lower back?"])
    assert other.intent == "which" and len(other.focus) > 1  # the child's pose never names the low back


def test_another_seat_asked_after_the_chair_twist_gets_what_the_article_says_of_the_seat(bot):
    _, sofa = bot.conversation(["how do I do the chair rotation?", "what about on the couch?"])
    assert sofa.status == "answered" and sofa.focus == ("chair-rotation",), sofa.answer
    assert sofa.citations[0].quote == "Sit facing forward on a stable chair."


@pytest.mark.parametrize("first, then, expected", [
    ("how do I do the standing rotation?", "and on the floor?", ("seated-floor-rotation",)),
    ("how do I do the lying knee lever?", "could I do it on the bed instead?", ("lying-knee-lever",)),
    ("how do I do the knee hug?", "and the other one, on my knees?", ("childs-pose",)),
])
def test_a_follow_up_naming_a_place_or_a_posture_resolves_against_the_move_in_focus(bot, first, then, expected):
    _, reply = bot.conversation([first, then])
    assert reply.status == "answered" and reply.focus[:1] == expected, reply.answer


def test_a_move_for_someone_alone_after_a_partner_move_is_one_needing_no_one(bot, library):
    _, reply = bot.conversation(["how do I do the hug from behind?", "I don't have anyone to help me though"])
    assert reply.status in ("answered", "clarify") and reply.focus
    assert not any(library.section(s).tags.partner for s in reply.focus), reply.focus


def test_what_else_a_move_works_is_the_articles_sentence_on_it(bot):
    _, reply = bot.conversation(["what's the bed edge one?", "does it help my core as well?"])
    assert reply.status == "answered" and "great for strengthening your abdominal muscles" in reply.citations[0].quote
    beyond = bot.ask("the bed one works your abs too, so what other ab exercises should I do?")
    assert beyond.status == "out_of_scope"


def test_the_version_with_a_mark_of_its_variant_after_a_move_is_that_variant(bot):
    first, second = bot.conversation(["walk me through the standing back extension",
                                      "what about the one with my hands?"])
    assert first.focus == ("standing-extension",)
    assert second.status == "answered" and second.focus == ("hand-pressure-extension",)


def test_a_kind_of_motion_asked_to_be_left_out_is_never_the_move_given(bot, library):
    reply = bot.ask("easy stretch on the floor that doesn't involve twisting")
    assert reply.status == "answered" and reply.focus
    assert all(library.section(s).tags.motion != "rotation" for s in reply.focus)


def test_a_risk_word_in_the_story_before_whats_the_named_move_is_the_storys(bot):
    reply = bot.ask("my balance is bad so I worry about falling. whats the seated floor twist?")
    assert reply.intent == "howto" and reply.focus == ("seated-floor-rotation",)


def test_doing_it_alone_after_the_partner_moves_lists_the_moves_done_without_anyone(bot, library):
    first, second = bot.conversation(["which ones need someone else to do them?",
                                      "nobody's home though, what can I do on my own instead?"])
    assert set(first.focus) >= {"hug-from-front", "hug-from-behind"}
    assert second.intent == "which" and len(second.focus) > 1
    assert not any(library.section(s).tags.partner for s in second.focus)


@pytest.mark.parametrize("question, section", [
    ("how to crack my back by leaning backwards when standing up", "standing-extension"),
    ("the kneeling one where your arms go out in front, how's that go?", "childs-pose")])
def test_how_to_and_hows_that_go_ask_for_the_steps(bot, question, section):
    reply = bot.ask(question)
    assert reply.intent == "howto" and reply.focus == (section,)


def test_is_the_second_one_safe_after_two_moves_weighed_is_that_ones_risks(bot):
    first, second = bot.conversation(["front hug or back hug, which is better?", "and is the second one safe?"])
    assert first.intent == "compare" and first.focus[:2] == ("hug-from-front", "hug-from-behind")
    assert second.intent == "safety" and second.focus == ("hug-from-behind",)


def test_how_are_they_different_weighs_the_two_moves_named(bot):
    reply = bot.ask("the kneeling yoga one or the knee hug, how are they different?")
    assert reply.intent == "compare" and set(reply.focus[:2]) == {"childs-pose", "knees-to-chest"}


def test_what_about_the_hug_one_after_another_move_asks_which_of_the_hugs(bot):
    first, second = bot.conversation(["how do I do the child's pose?", "what about the hug one?"])
    assert first.focus == ("childs-pose",)
    assert second.status == "clarify" and set(second.focus) == {"hug-from-front", "hug-from-behind"}


def test_which_hug_is_safer_weighs_both_hugs(bot):
    reply = bot.ask("which hug is safer?")
    assert reply.intent == "compare" and set(reply.focus[:2]) == {"hug-from-front", "hug-from-behind"}


def test_a_bare_why_after_an_answer_gives_the_articles_reason_again(bot):
    first, second = bot.conversation(["twisting or arching, which is safer?", "why is that?"])
    assert second.status == "answered" and second.intent == first.intent
    assert any("more forgiving motion" in c.quote for c in second.citations)


def test_a_bare_why_with_nothing_before_is_no_question_about_a_move(bot):
    assert bot.ask("why?").status in ("social", "out_of_scope")


def test_two_named_moves_compared_only_as_kinds_of_motion_are_not_called_the_articles_comparison_of_them(bot):
    reply = bot.ask("foam roller vs knees to chest, what's the difference?")
    assert reply.intent == "compare" and set(reply.focus[:2]) == {"foam-roller", "knees-to-chest"}
    # (in the order the question names them)
    assert "does not compare the Foam roller and Knees-to-chest stretch themselves" in reply.answer
    assert "own comparison of the" not in reply.answer
    direct = bot.ask("hug from the front or from behind, which is better?")
    assert "themselves" not in direct.answer


def test_a_joint_the_move_in_focus_warns_about_is_asked_of_that_move_not_refused(bot):
    first, second = bot.conversation(["how do I do the standing back extension?", "is it safe for my neck?"])
    assert second.status == "answered" and second.focus == ("standing-extension",)
    assert "overextending your neck" in second.citations[0].quote
    other = bot.conversation(["how do I do the child's pose?", "is it ok for my wrists?"])[-1]
    assert other.status == "out_of_scope"  # a joint the move never speaks of is still another joint


def test_back_to_the_chair_one_is_the_chair_move_said_earlier_and_its_detail(bot):
    turns = bot.conversation(["how do I do the chair rotation?", "and the knee lever one?",
                              "back to the chair one, what sort of chair works?"])
    assert turns[1].focus == ("lying-knee-lever",)
    assert turns[2].focus == ("chair-rotation",) and turns[2].intent in ("detail", "not_given")


def test_the_floor_one_after_twists_is_the_twist_done_on_the_floor(bot):
    turns = bot.conversation(["how do I do the standing rotation?", "the floor one"])
    assert turns[-1].status == "answered" and turns[-1].focus == ("seated-floor-rotation",)


def test_a_name_said_right_after_another_moves_name_describes_that_move(bot):
    # "the knee lever twist on the floor" is the knee lever, not also the seated floor twist
    reply = bot.ask("how many reps per side for the knee lever twist on the floor?")
    assert reply.focus[:1] == ("lying-knee-lever",)
    assert not any(c.section_id == "seated-floor-rotation" for c in reply.citations)


def test_another_joints_complaint_treated_is_out_of_scope_without_my(bot):
    assert bot.ask("how do I fix shoulder impingement from bench pressing?").status == "out_of_scope"


def test_no_partner_to_hug_me_leaves_the_hugs_out(bot, library):
    reply = bot.ask("best option for my upper back if I don't have a partner to hug me?")
    assert reply.status == "answered" and reply.focus
    assert not any(library.section(s).tags.partner for s in reply.focus)


def test_pressing_a_fist_into_the_back_while_bending_backwards_is_the_hand_pressure_variant(bot):
    reply = bot.ask("steps for bending backward while pressing my fist into the sore spot on my back?")
    assert reply.intent == "howto" and reply.focus == ("hand-pressure-extension",)
