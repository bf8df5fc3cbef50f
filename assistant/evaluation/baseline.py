"""The bar to beat: the plain LangChain RAG tutorial chain over the same article and the same embeddings.

RecursiveCharacterTextSplitter (1000 / 200), a Chroma vector store, top-4 similarity search. With no LLM
configured its answer is the context it would hand to one, and its citations are the retrieved chunks.
It has no safety triage and no follow-up handling: every question is answered.
"""

from __future__ import annotations

import time
import uuid

from ..records import Citation, Reply

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4


class BaselineChain:
    def __init__(self, library, embeddings) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_core.runnables import RunnableLambda
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from ..knowledge.embeddings import register_with_langchain

        register_with_langchain()
        self.library = library
        self.embeddings = embeddings
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                                  add_start_index=True)
        docs = splitter.split_documents([Document(page_content=d.text, metadata={"source": d.source})
                                         for d in library.documents])
        self._client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(collection_name=f"baseline-{uuid.uuid4().hex[:8]}", embedding_function=embeddings,
                            client=self._client)
        self.store.add_documents(docs)
        self.chunks = len(docs)
        retriever = self.store.as_retriever(search_kwargs={"k": TOP_K})
        self.chain = retriever | RunnableLambda(self._reply_parts)

    def _section_of(self, source: str, start: int, end: int) -> tuple[str, str]:
        """The section a chunk overlaps most (by the spans of its passages)."""
        best, overlap = ("", ""), -1
        for s in [s for d in self.library.documents if d.source == source for s in d.all_sections]:
            covered = sum(max(0, min(end, p.end) - max(start, p.start)) for p in s.passages)
            if covered > overlap:
                best, overlap = (s.id, s.title), covered
        return best

    def _reply_parts(self, docs) -> tuple[str, list[Citation]]:
        citations, parts = [], []
        for n, doc in enumerate(docs, start=1):
            start = doc.metadata["start_index"]
            end = start + len(doc.page_content)
            sid, title = self._section_of(doc.metadata["source"], start, end)
            citations.append(Citation(n, sid, title, "intro", doc.page_content, doc.metadata["source"], start, end))
            parts.append(f"{doc.page_content} [{n}]")
        return "\n\n".join(parts), citations

    def ask(self, question: str, history=None) -> Reply:
        began = time.perf_counter()
        answer, citations = self.chain.invoke(question)
        return Reply(question, "answered", answer, citations, (time.perf_counter() - began) * 1000)

    def close(self) -> None:
        try:
            self._client.close()  # type: ignore[attr-defined]  # chromadb types the Client it returns as ClientAPI
        except Exception:  # an ephemeral client holds nothing worth reporting on close
            pass
