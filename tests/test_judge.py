"""The LLM faithfulness judge, with a scripted chat model."""

from __future__ import annotations

import json

import rag
from tests.fakes import make_answer
from eval.judge import JUDGE_PROMPT, LLMJudge

AGES = "The soldiers, aged 20 and 26, were injured during their capture and are now receiving medical treatment in Kyiv."
PACT = "This pact commits both countries to mutual support in the event of military aggression."


class ScriptedChat:
    """A ChatModel that replies from a script; an exception in the script is raised."""

    def __init__(self, *replies) -> None:
        self.name = "scripted"
        self.replies = list(replies)
        self.calls: list[list[rag.ChatMessage]] = []

    def complete(self, messages, *, temperature: float = 0.0) -> str:
        self.calls.append(list(messages))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def stream(self, messages, *, temperature: float = 0.0):
        yield self.complete(messages, temperature=temperature)


ANSWER = make_answer("The soldiers were 20 and 26 [1]. They will be swapped next week [2].", AGES, PACT)
VALID = json.dumps(
    {
        "claims": [
            {"claim": "The soldiers were 20 and 26.", "cited": [1], "supported": True, "reason": "stated in [1]"},
            {"claim": "They will be swapped next week.", "cited": [2], "supported": False, "reason": "[2] is about the pact"},
        ]
    }
)


def test_valid_output_becomes_verdicts():
    model = ScriptedChat(VALID)
    result = LLMJudge(model).verify(ANSWER)
    assert result.error is None and len(model.calls) == 1
    first, second = result.verdicts
    assert (first.claim, first.cited, first.supported, first.supporting) == ("The soldiers were 20 and 26.", (1,), True, (1,))
    assert (second.supported, second.supporting, second.reason) == (False, (), "[2] is about the pact")
    assert result.score == 0.5 and result.citation_precision == 0.5 and result.citation_recall == 0.5


def test_fenced_json_is_accepted():
    result = LLMJudge(ScriptedChat(f"```json\n{VALID}\n```")).verify(ANSWER)
    assert result.error is None and len(result.verdicts) == 2


def test_invalid_then_valid_is_retried():
    model = ScriptedChat("Sure! Here is my verdict: supported.", '{"claims": [{"claim": "x"}]}', VALID)
    result = LLMJudge(model, max_attempts=3).verify(ANSWER)
    assert result.error is None and len(result.verdicts) == 2
    assert len(model.calls) == 3


def test_always_invalid_gives_error_not_nan():
    model = ScriptedChat("nope", "{", '{"claims": [{"claim": "a", "cited": [1], "supported": "yes", "reason": "r"}]}')
    result = LLMJudge(model, max_attempts=3).verify(ANSWER)
    assert len(model.calls) == 3
    assert result.verdicts == ()
    assert result.error and "after 3 attempts" in result.error
    assert result.score is None and result.citation_precision is None and result.citation_recall is None


def test_service_failure_gives_error():
    model = ScriptedChat(rag.LLMError("service unavailable"))
    result = LLMJudge(model).verify(ANSWER)
    assert result.error and "service unavailable" in result.error and result.score is None
    assert len(model.calls) == 1


def test_prompt_contains_delimited_passages_and_the_answer():
    model = ScriptedChat(VALID)
    LLMJudge(model).verify(ANSWER)
    (messages,) = model.calls
    prompt = "\n".join(m.content for m in messages)
    assert f'<source n="1">\n{AGES}\n</source>' in prompt
    assert f'<source n="2">\n{PACT}\n</source>' in prompt
    assert f"<answer>\n{ANSWER.text}\n</answer>" in prompt
    assert '"claims"' in JUDGE_PROMPT and "Example" in JUDGE_PROMPT


def test_judge_cannot_support_unknown_or_missing_citations():
    reply = json.dumps(
        {
            "claims": [
                {"claim": "a", "cited": [7], "supported": True, "reason": "ok"},
                {"claim": "b", "cited": [], "supported": True, "reason": "ok"},
            ]
        }
    )
    result = LLMJudge(ScriptedChat(reply)).verify(ANSWER)
    assert [v.supported for v in result.verdicts] == [False, False]
    assert result.verdicts[0].reason == "cites [7], which is not among the sources"
    assert result.verdicts[1].reason == "no citation"


def test_refused_answer_is_not_sent_to_the_model():
    model = ScriptedChat()
    result = LLMJudge(model).verify(make_answer("The articles don't say.", refused=True))
    assert result.verdicts == () and result.score is None and model.calls == []
