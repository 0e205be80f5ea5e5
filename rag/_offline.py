"""Environment defaults that keep third-party libraries off the network.

They are defaults (`setdefault`): a user who sets one on purpose wins.
"""

from __future__ import annotations

import os
from pathlib import Path


def keep_libraries_offline() -> None:
    """Stop hub look-ups, telemetry and tiktoken downloads before those libraries load."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Load-time progress bars and "sequence too long" warnings are noise: we count tokens
    # ourselves precisely so that nothing is truncated.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    cache = _llama_index_tiktoken_cache()
    if cache is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))


def _llama_index_tiktoken_cache() -> Path | None:
    # llama-index-core ships the tiktoken files it needs; find them without importing
    # llama_index (slow) so that nothing ever downloads an encoding.
    import importlib.util

    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
    return cache if cache.is_dir() else None
