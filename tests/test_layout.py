"""Dependencies point one way: rag ← ingest ← (ui, eval); nothing imports ui or eval."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("rag", "ingest", "ui", "eval")
ALLOWED = {
    "rag": {"rag"},
    "ingest": {"rag", "ingest"},
    "ui": {"rag", "ingest", "ui"},
    "eval": {"rag", "ingest", "eval"},
}


def _project_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_layout__imports_point_one_way(package):
    for path in (REPO / package).rglob("*.py"):
        unexpected = _project_imports(path) - ALLOWED[package]
        assert not unexpected, f"{path.relative_to(REPO)} imports {unexpected}"


def test_layout__library_code_never_prints():
    for package in ("rag", "ingest"):
        for path in (REPO / package).rglob("*.py"):
            calls = [
                node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
            ]
            assert not calls, f"{path.relative_to(REPO)} calls print()"


def test_seeds__are_byte_identical_to_the_shared_originals():
    shared = REPO.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("shared/seeds is not next to this checkout")

    def digest(folder):
        return sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.txt"))

    assert digest(REPO / "seeds") == digest(shared)
