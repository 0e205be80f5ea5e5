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


# -- over real HTTP: `rag eval --judge openai` against a local OpenAI-compatible server ----


def test_rag_eval_judge_openai_over_http(monkeypatch, real_embedder, tmp_path):
    from click.testing import CliRunner

    import rag.answer.assistant
    from rag.cli import main
    from tests.openai_server import Error, FakeOpenAIServer, Malformed, Reply

    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: real_embedder)
    eval_set = tmp_path / "one.jsonl"
    eval_set.write_text(json.dumps({
        "id": "ages", "question": "How old were the captured soldiers?", "answerable": True, "category": "number",
        "key_facts": [["20"], ["26"]],
        "gold": [{"doc": "ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt",
                  "quote": AGES}],
    }) + "\n", encoding="utf-8")
    verdicts = json.dumps({"claims": [
        {"claim": "The soldiers were 20 and 26 and are treated in Kyiv.", "cited": [1], "supported": True,
         "reason": "source [1] gives both ages and Kyiv"},
    ]})
    with FakeOpenAIServer(api_key="sk-judge", models=("judge-model",)) as server:
        # A 500 (retried by the client), a body that is not JSON (retried), prose instead of
        # the verdict JSON (retried by the judge), then the verdicts.
        server.enqueue(Error(500), Malformed(), Reply("Sure! The answer looks faithful."), Reply(verdicts))
        for name, value in {"OPENAI_API_KEY": "sk-judge", "OPENAI_BASE_URL": server.base_url,
                            "RAG_LLM_MODEL": "judge-model", "RAG_ANSWERER": "extractive",
                            "RAG_LLM_MAX_RETRIES": "2"}.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(main, ["eval", "--set", str(eval_set), "--judge", "openai", "-q",
                                           "--data-dir", str(tmp_path / "index"), "--out", str(tmp_path / "out")])
        requests = server.chat_requests()
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["judge"] == "openai" and report["answerer"] == "extractive"
    [question] = report["questions"]
    assert question["verdicts"][0]["reason"] == "source [1] gives both ages and Kyiv"
    assert question["faithfulness"] == 1.0 and question["verifier_error"] is None
    assert len(requests) == 4
    assert all(r.headers["authorization"] == "Bearer sk-judge" and r.body["model"] == "judge-model" for r in requests)
    prompt = requests[-1].body["messages"][-1]["content"]
    assert "aged 20 and 26" in prompt and "<answer>" in prompt and question["answer"] in prompt
