"""Where the built-in demo articles are: inside the installed package, or the checkout."""

from __future__ import annotations

from pathlib import Path

from rag.errors import ConfigurationError


def seeds_dir() -> Path:
    """The folder holding the two demo articles about North Korean troops in Kursk."""
    package = Path(__file__).resolve().parent
    # In a wheel they ship as rag/_data/seeds; in a checkout they are ./seeds. Either way the
    # folder is named "seeds", so the demo documents get the same ids ("seeds/...").
    for candidate in (package / "_data" / "seeds", package.parent / "seeds"):
        if candidate.is_dir() and any(candidate.glob("*.txt")):
            return candidate
    raise ConfigurationError(
        "The demo articles are missing from this installation: reinstall with `pip install .` "
        "from the project folder, or ingest your own articles with `rag ingest PATH`."
    )
