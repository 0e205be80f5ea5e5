"""Evaluation of the newsrag pipeline: `eval.run(...)` (see `eval.runner`) and `rag eval`.

Importing this package is light: the runner and its dependencies load on first call.
"""

from __future__ import annotations

from typing import Any


def run(*args: Any, **kwargs: Any) -> Any:
    """Run an eval set and measure it; see `eval.runner.run` for the arguments."""
    from eval.runner import run as _run

    return _run(*args, **kwargs)


__all__ = ["run"]
