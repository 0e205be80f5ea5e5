"""The offline faithfulness verifier: each check in isolation (fake embedder), and its
accuracy on the labelled answers with the real MiniLM."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import ingest
from rag.answer.citations import answer_sentences
from rag.answer.verify import Faithfulness, OfflineVerifier, Verdict
from eval.labels import LABELS_PATH, answer_from_label, load_labels, misclassified, verifier_accuracy
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder, make_answer

AGES = "The soldiers, aged 20 and 26, were injured during their capture and are now receiving medical treatment in Kyiv."
DISPUTE = (
    "Ukrainian President Volodymyr Zelensky, however, disputed Putin’s announcement, asserting that "
    "Ukrainian forces continue to maintain a presence in Kursk."
)
CASUALTIES = (
    "On January 13, South Korea’s National Intelligence Service reported that 300 North Korean soldiers "
    "had been killed and 2,700 wounded in Kursk alone."
)
MONUMENT = (
    "Kim Jong Un, North Korea’s leader, hailed the fighters as “heroes” who embodied the \"honor of the "
    "motherland,\" and pledged to erect a monument in Pyongyang to commemorate their sacrifices."
)


@pytest.fixture
def verifier() -> OfflineVerifier:
    # The bag-of-words fake makes verbatim quotes similar and unrelated text dissimilar.
    return OfflineVerifier(FakeEmbedder(dimension=512), min_similarity=0.5, min_overlap=0.6)


def only(result: Faithfulness) -> Verdict:
    assert len(result.verdicts) == 1, result
    return result.verdicts[0]


# ------------------------------------------------------------------ claims


def test_sentences_keep_markers_and_abbreviations():
    text = "The U.S. State Department responded [1]. One soldier carried a Russian military I.D. while the other did not [2]. Done. [3]"
    assert answer_sentences(text) == [
        "The U.S. State Department responded [1].",
        "One soldier carried a Russian military I.D. while the other did not [2].",
        "Done. [3]",
    ]


def test_verbatim_claim_is_supported(verifier):
    verdict = only(verifier.verify(make_answer(AGES[:-1] + " [1].", AGES)))
    assert verdict.supported and verdict.cited == (1,) and verdict.supporting == (1,)
    assert verdict.claim == AGES
    assert verdict.reason.startswith("supported by [1] (similarity")


def test_wrong_number_is_named(verifier):
    verdict = only(verifier.verify(make_answer(AGES.replace("20", "21")[:-1] + " [1].", AGES)))
    assert not verdict.supported and verdict.supporting == ()
    assert verdict.reason == "number '21' is not in [1]"


@pytest.mark.parametrize(
    ("claim", "token"),
    [
        ("On January 13, the service reported that 3,000 North Korean soldiers had been killed", "3,000"),
        ("On January 15, the service reported that 300 North Korean soldiers had been killed", "15"),
        ("On March 13, the service reported that 300 North Korean soldiers had been killed", "March"),
        ("On January 13, the service reported that three hundred soldiers had been killed", "three"),
    ],
)
def test_numbers_dates_and_number_words_must_be_in_the_source(verifier, claim, token):
    verdict = only(verifier.verify(make_answer(claim + " [1].", CASUALTIES)))
    assert not verdict.supported
    assert verdict.reason == f"number '{token}' is not in [1]"


def test_number_formats_and_words_match():
    verifier = OfflineVerifier(FakeEmbedder(dimension=512), min_similarity=0.0, min_overlap=0.0)
    source = "Ukraine captured two North Korean soldiers; 2,700 were wounded."
    assert only(verifier.verify(make_answer("Ukraine captured 2 North Korean soldiers [1].", source))).supported
    assert only(verifier.verify(make_answer("Some 2700 were wounded [1].", source))).supported


def test_invented_name_is_named(verifier):
    claim = "Kim Yo Jong pledged to erect a monument in Pyongyang to commemorate their sacrifices [1]."
    verdict = only(verifier.verify(make_answer(claim, MONUMENT)))
    assert not verdict.supported
    assert verdict.reason == "name 'Kim Yo Jong' is not in [1]"


def test_names_match_case_insensitively_with_possessives_and_plurals_but_not_other_words():
    verifier = OfflineVerifier(FakeEmbedder(dimension=512), min_similarity=0.0, min_overlap=0.0)
    source = "Last week, Ukraine captured two North Korean soldiers in Russia’s Kursk Oblast."
    ok = only(verifier.verify(make_answer("The soldiers were North Koreans captured in Russia's Kursk Oblast [1].", source)))
    assert ok.supported, ok.reason
    bad = only(verifier.verify(make_answer("The soldiers were captured by Russian troops in Kursk Oblast [1].", source)))
    assert bad.reason == "name 'Russian' is not in [1]"


def test_swapped_actors(verifier):
    claim = "Putin disputed Zelensky's announcement, asserting that Ukrainian forces continue to maintain a presence in Kursk [1]."
    verdict = only(verifier.verify(make_answer(claim, DISPUTE)))
    assert not verdict.supported
    assert verdict.reason.startswith("actors swapped:")
    assert "'Putin' before 'Zelensky's'" in verdict.reason


def test_coordination_and_passive_voice_are_not_swaps():
    verifier = OfflineVerifier(FakeEmbedder(dimension=512), min_similarity=0.0, min_overlap=0.0)
    pact = "In 2024, Vladimir Putin and Kim Jong Un signed an agreement tying their nations closer together militarily."
    assert only(verifier.verify(make_answer("In 2024, Kim Jong Un and Vladimir Putin signed an agreement [1].", pact))).supported
    passive = "Putin’s announcement was disputed by Zelensky, who said Ukrainian forces continue to maintain a presence in Kursk [1]."
    assert only(verifier.verify(make_answer(passive, DISPUTE))).supported


def test_missing_citation_and_unknown_marker(verifier):
    result = verifier.verify(make_answer(f"{AGES[:-1]} [1]. They will be exchanged next week. {AGES[:-1]} [3].", AGES))
    first, second, third = result.verdicts
    assert first.supported
    assert (second.supported, second.cited, second.reason) == (False, (), "no citation")
    assert (third.supported, third.cited) == (False, (3,))
    assert third.reason == "cites [3], which is not among the sources"
    assert result.score == pytest.approx(1 / 3)


def test_unrelated_citation_is_not_support(verifier):
    verdict = only(verifier.verify(make_answer(AGES[:-1] + " [2].", AGES, "This pact commits both countries to mutual support in the event of military aggression.")))
    assert not verdict.supported and verdict.cited == (2,)


def test_refused_answer_has_no_claims(verifier):
    result = verifier.verify(make_answer("The articles don't say.", refused=True))
    assert result == Faithfulness(())
    assert result.score is None and result.citation_precision is None and result.citation_recall is None


def test_answer_without_sentences_scores_none(verifier):
    result = verifier.verify(make_answer("  [1] ", AGES))
    assert result.verdicts == () and result.score is None


def test_score_precision_recall_arithmetic():
    result = Faithfulness(
        (
            Verdict("a", (1, 2), True, "supported by [1]", (1,)),
            Verdict("b", (3,), False, "number '9' is not in [3]"),
            Verdict("c", (), False, "no citation"),
            Verdict("d", (1,), True, "supported by [1]", (1,)),
        )
    )
    assert result.score == pytest.approx(0.5)
    assert result.citation_precision == pytest.approx(2 / 4)
    assert result.citation_recall == pytest.approx(2 / 4)
    errored = Faithfulness((), error="invalid judge output")
    for value in (errored.score, errored.citation_precision, errored.citation_recall):
        assert value is None
    no_pairs = Faithfulness((Verdict("c", (), False, "no citation"),))
    assert no_pairs.score == 0.0 and no_pairs.citation_precision is None and no_pairs.citation_recall == 0.0


def test_claim_supported_by_two_citations_together(verifier):
    capture = "Last week, Ukraine captured two North Korean soldiers in Russia’s Kursk Oblast — a first in this war."
    claim = "Ukraine captured two North Korean soldiers in Kursk, and they are now receiving medical treatment in Kyiv [1][2]."
    verdict = only(verifier.verify(make_answer(claim, capture, AGES)))
    assert verdict.supported and verdict.supporting == (1, 2), verdict.reason


def test_verifier_is_deterministic(verifier):
    answer = make_answer(f"{AGES[:-1]} [1]. Putin disputed Zelensky's announcement [2].", AGES, DISPUTE)
    assert verifier.verify(answer) == verifier.verify(answer)


# ------------------------------------------------------------------ the labelled set


def test_labelled_set_shape():
    labels = load_labels()
    assert len(labels) >= 30
    assert sum(item.faithful for item in labels) >= 12
    assert sum(not item.faithful for item in labels) >= 15
    assert all(item.faithful == (item.kind == "faithful") for item in labels)
    assert {item.kind for item in labels} == {
        "faithful", "wrong_number", "invented_name", "swapped_actor", "wrong_citation", "unsupported_extra",
    }


def test_labelled_quotes_are_verbatim_in_the_cleaned_seed_articles():
    cleaned = {path.name: ingest.clean_article(path.read_text(encoding="utf-8")).text for path in SEEDS.glob("*.txt")}
    for item in load_labels():
        for citation in item.citations:
            assert citation.doc in cleaned, (item.id, citation.doc)
            assert citation.quote in cleaned[citation.doc], (item.id, citation.quote)
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", item.answer)}
        assert markers <= {c.n for c in item.citations}, item.id


def test_load_labels_names_the_bad_line(tmp_path):
    path = tmp_path / "labels.jsonl"
    good = json.loads(LABELS_PATH.read_text(encoding="utf-8").splitlines()[0])
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "x", "kind": "nonsense"}) + "\n")
    with pytest.raises(ValueError, match=r"labels.jsonl:2"):
        load_labels(path)


def test_answer_from_label():
    item = load_labels()[0]
    answer = answer_from_label(item)
    assert answer.text == item.answer and not answer.refused and answer.answerer == "labelled"
    assert [(c.n, c.text, c.start, c.end) for c in answer.citations] == [
        (c.n, c.quote, 0, len(c.quote)) for c in item.citations
    ]


def test_offline_verifier_accuracy_on_labelled_set(real_embedder):
    labels = load_labels()
    verifier = OfflineVerifier(real_embedder)
    accuracy = verifier_accuracy(verifier, labels)
    assert not math.isnan(accuracy)
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f}; misclassified: {misclassified(verifier, labels)}"


def test_offline_verifier_accuracy_on_the_local_models_real_answers(real_embedder):
    """41 real SmolLM2-135M answers (labelled by hand, 7 faithful): the verifier's hallucination
    catch on a real model's mistakes rather than on hand-made ones."""
    from eval.labels import LOCAL_MODEL_LABELS_PATH

    labels = load_labels(LOCAL_MODEL_LABELS_PATH)
    assert len(labels) >= 40
    verifier = OfflineVerifier(real_embedder)
    accuracy = verifier_accuracy(verifier, labels)
    assert accuracy >= 0.90, f"accuracy {accuracy:.3f}; misclassified: {misclassified(verifier, labels)}"


def test_the_verifier_cache_never_loses_a_vector_it_is_about_to_use():
    """A full cache evicts its oldest vectors to make room: one of them may be a text of the
    same call (it used to come back as None and crash np.stack)."""
    embedder = FakeEmbedder()
    verifier = OfflineVerifier(embedder)
    oldest = "The soldiers were aged 20 and 26."
    verifier._vectors([oldest, *(f"filler sentence number {i}" for i in range(4095))])
    vectors = verifier._vectors([oldest, "A sentence never seen before."])
    assert vectors.shape == (2, embedder.dimension)
    assert np.allclose(vectors[0], embedder.embed_query(oldest))
