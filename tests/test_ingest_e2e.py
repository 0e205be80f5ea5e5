"""End to end with the real bundled model: `rag ingest` on the demo articles, then search."""

from __future__ import annotations

from click.testing import CliRunner

from rag.index.bm25 import synced_bm25
from rag.cli import main
from rag.config import Settings
from tests.conftest import SEEDS
from tests.helpers import assert_consistent, open_store

UKRAINE = "seeds/ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt"
NORTH_KOREA = "seeds/north-korea-confirms-sending-troops-to-russia-to-fight-in-ukraine-war.txt"


def test_rag_ingest__seeds_with_the_real_model_are_searchable(tmp_path, real_embedder):
    data_dir = tmp_path / "index"
    result = CliRunner().invoke(main, ["ingest", str(SEEDS), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 new, 0 updated, 0 unchanged, 0 failed;")

    settings = Settings(data_dir=data_dir)
    store = open_store(settings, "all-MiniLM-L6-v2")
    assert_consistent(store)
    assert set(store.stored_documents()) == {UKRAINE, NORTH_KOREA}

    question = real_embedder.embed_query("How old were the captured soldiers?")
    ages = store.nearest_chunks(question, k=1)
    assert ages[0].chunk_id.startswith(UKRAINE) and 0 < ages[0].similarity <= 1
    [(chunk_id, record)] = store.read_chunks([ages[0].chunk_id]).items()
    assert chunk_id == record.chunk_id == ages[0].chunk_id and "aged 20 and 26" in record.text
    [vector] = store.chunk_vectors([ages[0].chunk_id]).values()
    assert record.metadata["doc_id"] == UKRAINE and vector.shape == (384,)
    assert abs(float(vector @ question) - ages[0].similarity) < 1e-5
    rodong = store.nearest_chunks(
        real_embedder.embed_query("Which newspaper published Pyongyang's statement?"), k=2
    )
    texts = store.read_chunks([match.chunk_id for match in rodong])
    assert any("Rodong Sinmun" in record.text for record in texts.values())
    assert rodong[0].similarity >= rodong[1].similarity

    bm25 = synced_bm25(store, data_dir / "bm25")
    assert bm25.search("South Korean intelligence interrogations", k=1)[0].chunk_id.startswith(UKRAINE)

    again = CliRunner().invoke(main, ["ingest", str(SEEDS), "--data-dir", str(data_dir)])
    assert "0 new, 0 updated, 2 unchanged, 0 failed; 0 chunks embedded" in again.stdout
