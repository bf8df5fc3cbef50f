"""The answer chain as a LangChain Runnable, made only when asked for (`Assistant.runnable`): LangChain's Runnable
machinery (callbacks, tracers, langsmith) costs about a second to import, and answering does not need it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel

from ..knowledge.embeddings import register_with_langchain
from ..records import Reply
from .chain import AnswerChain, Question

register_with_langchain()  # LangChain is loaded now: the embeddings are its `Embeddings` too


class AnswerRunnable(Runnable[Question | dict, Reply]):
    """The chain as a LangChain Runnable with a typed input: invoke gives the Reply; stream and astream give the
    verified answer piece by piece (nothing a check has not passed); the question is validated inside."""

    name: str | None = "backstretch"

    def __init__(self, chain: AnswerChain) -> None:
        self.chain = chain

    @property
    def InputType(self) -> type[Question]:  # noqa: N802 (LangChain's name)
        return Question

    @property
    def OutputType(self) -> type[Reply]:  # noqa: N802
        return Reply

    def get_input_schema(self, config: RunnableConfig | None = None) -> type[BaseModel]:
        return Question

    def invoke(self, input: Question | dict, config: RunnableConfig | None = None, **kwargs: Any) -> Reply:
        return self._call_with_config(lambda data: self.chain.invoke(_as_data(data)), input, config)

    def _pieces(self, inputs: Iterator[Question | dict]) -> Iterator[str]:
        for data in inputs:
            for piece in self.chain.run(_as_data(data)):
                if isinstance(piece, str):
                    yield piece

    # streams the reply's text pieces, not Reply objects: the override departs from Runnable's Output on purpose
    def stream(self, input: Question | dict, config: RunnableConfig | None = None,  # type: ignore[override]
               **kwargs: Any) -> Iterator[str]:
        yield from self._transform_stream_with_config(iter([input]), self._pieces, config)  # type: ignore[arg-type, misc]

    async def astream(self, input: Question | dict, config: RunnableConfig | None = None,  # type: ignore[override]
                      **kwargs: Any) -> AsyncIterator[str]:
        import asyncio

        pieces = self.stream(input, config)
        done = object()
        while (piece := await asyncio.to_thread(next, pieces, done)) is not done:
            yield piece  # type: ignore[misc]


def _as_data(data: Question | dict) -> dict:
    return data.model_dump() if isinstance(data, Question) else data
