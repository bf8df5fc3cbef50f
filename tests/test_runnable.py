"""The chain as LangChain sees it: a typed input, validation inside, streaming of verified pieces, any history."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.chat_history import InMemoryChatMessageHistory
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.runnables.history import RunnableWithMessageHistory

from assistant.errors import InvalidQuestion
from assistant.records import Reply


def test_the_runnable_has_a_typed_input_schema_and_becomes_a_tool(bot):
    schema = bot.runnable.get_input_jsonschema()
    assert schema["required"] == ["question"] and "history" in schema["properties"]
    assert bot.runnable.input_schema.__name__ == "Question"
    tool = bot.runnable.as_tool(name="backstretch", description="Answers from the back-stretch article")
    assert "question" in tool.args


def test_validation_happens_inside_the_runnable(bot):
    with pytest.raises(InvalidQuestion):
        bot.runnable.invoke({"question": ""})
    with pytest.raises(InvalidQuestion):
        bot.runnable.invoke({"question": "x" * 5000})


def test_stream_and_astream_give_the_checked_answer_in_pieces(bot):
    question = {"question": "How do I use a foam roller on my back?"}
    reply = bot.runnable.invoke(question)
    pieces = list(bot.runnable.stream(question))
    assert len(pieces) > 3 and "".join(pieces) == reply.answer

    async def collect():
        return [p async for p in bot.runnable.astream(question)]

    assert "".join(asyncio.run(collect())) == reply.answer


@pytest.mark.parametrize("history", [
    lambda bot: bot.conversation(["How do I do the child's pose?"]),
    lambda bot: [r.to_dict() for r in bot.conversation(["How do I do the child's pose?"])],
    lambda bot: [HumanMessage("How do I do the child's pose?"), AIMessage("(the steps)")],
    lambda bot: [{"role": "user", "content": "How do I do the child's pose?"},
                 {"role": "assistant", "content": "(the steps)"}],
], ids=["replies", "reply-dicts", "langchain-messages", "role-dicts"])
def test_history_may_be_replies_their_dicts_or_chat_messages(bot, history):
    reply = bot.runnable.invoke({"question": "how long do I hold it?", "history": history(bot)})
    assert reply.status == "answered" and reply.citations[0].section_id == "childs-pose"


def test_the_chain_runs_inside_runnable_with_message_history(bot):
    store: dict[str, InMemoryChatMessageHistory] = {}

    def answer(data: dict) -> str:
        return bot.runnable.invoke({"question": data["question"], "history": data["history"]}).answer

    wrapped = RunnableWithMessageHistory(RunnableLambda(answer), lambda sid: store.setdefault(
        sid, InMemoryChatMessageHistory()), input_messages_key="question", history_messages_key="history")
    config = {"configurable": {"session_id": "s1"}}
    wrapped.invoke({"question": "How do I do the child's pose?"}, config)
    second = wrapped.invoke({"question": "how long do I hold it?"}, config)
    assert "Hold this stretch for about 30 seconds" in second
    assert len(store["s1"].messages) == 4


def test_astream_events_show_the_chain_and_only_checked_text(bot):
    question = {"question": "Is the hug from behind risky?"}
    reply = bot.runnable.invoke(question)

    async def events():
        return [e async for e in bot.runnable.astream_events(question, version="v2")]

    seen = asyncio.run(events())
    names = {e["event"] for e in seen}
    assert "on_chain_start" in names and "on_chain_end" in names
    streamed = "".join(e["data"]["chunk"] for e in seen if e["event"] == "on_chain_stream")
    assert streamed == reply.answer


def test_a_reply_is_returned_by_invoke_not_a_string(bot):
    assert isinstance(bot.runnable.invoke({"question": "Is the hug from behind risky?"}), Reply)
