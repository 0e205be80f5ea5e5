"""One check for every bundled model file: its sha256 must be the one we ship with."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rag.errors import ModelIntegrityError


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, what_to_do: str) -> None:
    """Refuse a model file whose sha256 differs from `expected` (corrupt or replaced)."""
    actual = sha256_of(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"{path} has sha256 {actual}, expected {expected}. The file is corrupt or was replaced: {what_to_do}."
        )
