"""The LLM answerer: numbered sources in, a checked and cited answer out.

A reply the model cut at its output cap (`LLMReplyCutError`) keeps only its complete
sentences, and the answer gets a warning that says so; with none complete it is a refusal
with that warning. A `ReplyStream` shows the cut to the reader in one last piece
(`CUT_NOTE`) and remembers it (`.cut`), so its `draft(text)` ends a streamed answer the
same way; nothing in the model's own text can fake a cut. When the model refuses is
`rag.answer.refusal`'s (rule 6).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

from rag.llm.chat import ChatMessage, ChatModel
from rag.answer.citations import check_citations
from rag.errors import LLMReplyCutError
from rag.answer.prompts import (
    ANSWER_SYSTEM_PROMPT,
    ANSWER_USER_TEMPLATE,
    SOURCE_TEMPLATE,
    escape_source_text,
)
from rag.answer.refusal import CUT_BEFORE_FIRST_SENTENCE_REASON, UNCITED_REASON, llm_declined_reason
from rag.text.sentences import sentence_spans
from rag.types import Draft, Passage

CUT_NOTE = "\n\n(cut off: {message})"
# A last sentence is complete when it ends in . ! ? … (then maybe quotes and markers).
_COMPLETE_END = re.compile(r"[.!?…][\"'”’)\]]*(?:\s*\[[^\[\]\n]{1,20}\])*\Z")


def answer_messages(question: str, passages: Sequence[Passage]) -> list[ChatMessage]:
    """The system rules and the user message with the sources as delimited data."""
    sources = "\n".join(
        SOURCE_TEMPLATE.format(n=n, title=escape_source_text(p.title).replace('"', "'"), text=escape_source_text(p.text))
        for n, p in enumerate(passages, start=1)
    )
    return [
        ChatMessage("system", ANSWER_SYSTEM_PROMPT),
        ChatMessage("user", ANSWER_USER_TEMPLATE.format(sources=sources, question=question)),
    ]


class LLMAnswerer:
    def __init__(self, model: ChatModel) -> None:
        self._model = model
        self.name = model.name

    def answer(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> Draft:
        """The model's checked answer to the standalone `question` (the model reads only that:
        `asked`, the user's own words, is for the offline answerer's weighting)."""
        try:
            reply = self._model.complete(answer_messages(question, passages))
        except LLMReplyCutError as cut:
            return self._finish_cut(cut.partial, str(cut), passages)
        return self.finish(reply, passages)

    def stream(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> ReplyStream:
        """The model's pieces, as a `ReplyStream` (the model is called when it is iterated);
        its `draft(text)` checks the reply like `answer` does."""
        return ReplyStream(
            lambda: self._model.stream(answer_messages(question, passages)),
            lambda text, cut: self.finish(text, passages, cut=cut),
        )

    def finish(self, reply: str, passages: Sequence[Passage], cut: str | None = None) -> Draft:
        """Parse and check the reply's citations; a refusal stays a refusal. With `cut` (a
        stream's `.cut`), the reply was cut at the output cap: its note is dropped and only
        its complete sentences are kept."""
        if cut is None:
            return _checked(reply, passages)
        note = CUT_NOTE.format(message=cut)
        return self._finish_cut(reply.removesuffix(note), cut, passages)

    def _finish_cut(self, partial: str, message: str, passages: Sequence[Passage]) -> Draft:
        kept = complete_sentences(partial)
        if kept:
            draft = _checked(kept, passages)
        else:
            draft = Draft("", (), True, CUT_BEFORE_FIRST_SENTENCE_REASON)
        return replace(draft, warnings=(f"{message} Only its complete sentences are kept.", *draft.warnings))


class ReplyStream:
    """Iterate for the model's pieces; when the model cut the reply at its output cap, one
    last piece says so, and `.cut` then holds that message (None otherwise)."""

    def __init__(self, start: Callable[[], Iterable[str]], finish: Callable[[str, str | None], Draft]) -> None:
        self._start = start
        self._finish = finish
        self.cut: str | None = None

    def __iter__(self) -> Iterator[str]:
        try:
            yield from self._start()
        except LLMReplyCutError as cut:
            self.cut = str(cut)
            yield CUT_NOTE.format(message=self.cut)

    def draft(self, text: str) -> Draft:
        """The checked draft of `text`, the pieces received (cut, when this stream was)."""
        return self._finish(text, self.cut)


def _checked(reply: str, passages: Sequence[Passage]) -> Draft:
    declined = llm_declined_reason(reply)
    if declined is not None:
        return Draft("", (), True, declined)
    checked = check_citations(reply, passages)
    if not checked.citations:
        return Draft("", (), True, UNCITED_REASON, checked.warnings)
    return Draft(checked.text, checked.citations, False, "", checked.warnings, written=True)


def complete_sentences(text: str) -> str:
    """`text` up to the end of its last complete sentence: the last one of a cut reply is
    complete only if it ends in sentence-final punctuation."""
    spans = sentence_spans(text)
    if spans and not _COMPLETE_END.search(text[spans[-1][0] : spans[-1][1]]):
        spans = spans[:-1]
    return text[: spans[-1][1]] if spans else ""
