"""An LLM as faithfulness judge: the same `verify(answer) -> Faithfulness` as the offline one.

    judge = LLMJudge(rag.build_chat_model(rag.Settings()))
    judge.verify(answer).score

The model is asked, with one prompt (`JUDGE_PROMPT`), to split the answer into claims and to
say for each whether the passages it cites support it, as strict JSON. Output that is not
valid JSON of the expected shape is retried up to `max_attempts` times; after that, or when
the service fails (`rag.LLMError`), the result carries `error` and no verdicts, so its score
is None — never NaN, never an exception for bad output.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

import rag
from rag.answer.verify import Faithfulness, Verdict

JUDGE_PROMPT = """You check whether an answer is faithful to the sources it cites.

Split the ANSWER into claims, one per sentence. Each sentence carries markers like [1] that
name the SOURCES it cites. For each claim decide whether the cited sources, and only they,
state it: every number, date, name and who-did-what must be in a cited source. A claim with no
marker, or whose marker names no source below, is not supported. Do not use outside knowledge.

Reply with STRICT JSON only, no prose and no code fences, in exactly this shape:
{"claims": [{"claim": "<the sentence without markers>", "cited": [<n>, ...], "supported": true|false, "reason": "<short reason>"}]}

Example.
SOURCES:
<source n="1">
The soldiers, aged 20 and 26, were injured during their capture and are now receiving medical treatment in Kyiv.
</source>
<source n="2">
Ukrainian President Volodymyr Zelensky, however, disputed Putin's announcement.
</source>
ANSWER:
<answer>
The soldiers, aged 21 and 26, are being treated in Kyiv [1]. Zelensky disputed Putin's announcement [2]. They will be exchanged next week.
</answer>
Reply:
{"claims": [{"claim": "The soldiers, aged 21 and 26, are being treated in Kyiv.", "cited": [1], "supported": false, "reason": "source [1] gives the ages as 20 and 26, not 21"}, {"claim": "Zelensky disputed Putin's announcement.", "cited": [2], "supported": true, "reason": "stated in [2]"}, {"claim": "They will be exchanged next week.", "cited": [], "supported": false, "reason": "no citation"}]}

Now the real task.
SOURCES:
{sources}
ANSWER:
<answer>
{answer}
</answer>
Reply:"""


class _JudgedClaim(BaseModel):
    model_config = ConfigDict(extra="ignore")
    claim: str
    cited: list[int] = Field(default_factory=list)
    supported: bool
    reason: str


class _JudgeReply(BaseModel):
    model_config = ConfigDict(extra="ignore")
    claims: list[_JudgedClaim]


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def build_prompt(answer: rag.Answer) -> str:
    sources = "\n".join(f'<source n="{c.n}">\n{c.text.strip()}\n</source>' for c in answer.citations) or "(none)"
    # str.replace, not str.format: the prompt itself is full of JSON braces.
    return JUDGE_PROMPT.replace("{sources}", sources).replace("{answer}", answer.text.strip())


def parse_reply(reply: str) -> _JudgeReply:
    """The judge's reply as data; ValueError when it is not the JSON asked for."""
    text = reply.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    try:
        return _JudgeReply.model_validate(data, strict=True)
    except ValidationError as exc:
        raise ValueError(f"wrong shape: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}") from exc


class LLMJudge:
    """Faithfulness judged by a chat model; see `JUDGE_PROMPT`."""

    def __init__(self, model: rag.ChatModel, max_attempts: int = 3) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.model = model
        self.max_attempts = max_attempts

    def verify(self, answer: rag.Answer) -> Faithfulness:
        if answer.refused:
            return Faithfulness(())
        messages = [rag.ChatMessage("user", build_prompt(answer))]
        problem = ""
        for _ in range(self.max_attempts):
            try:
                reply = self.model.complete(messages, temperature=0.0)
            except rag.LLMError as exc:
                return Faithfulness((), error=f"judge model failed: {exc}")
            try:
                parsed = parse_reply(reply)
            except ValueError as exc:
                problem = str(exc)
                continue
            return Faithfulness(tuple(self._verdict(c, answer) for c in parsed.claims))
        return Faithfulness((), error=f"invalid judge output after {self.max_attempts} attempts: {problem}")

    @staticmethod
    def _verdict(claim: _JudgedClaim, answer: rag.Answer) -> Verdict:
        known = {c.n for c in answer.citations}
        cited = tuple(dict.fromkeys(claim.cited))
        supported = claim.supported and bool(cited) and all(n in known for n in cited)
        reason = claim.reason.strip() or ("supported" if supported else "not supported")
        if claim.supported and not supported:
            reason = "no citation" if not cited else f"cites {[n for n in cited if n not in known]}, which is not among the sources"
        # The judge does not say which of several citations carries the claim: credit all.
        return Verdict(claim.claim.strip(), cited, supported, reason, cited if supported else ())
