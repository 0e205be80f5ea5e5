"""Dependencies point one way, as the README's Development section draws them: inside rag,
answer → (llm, index) → text; rag imports nothing else here; ingest writes through
rag.index; nothing imports ui or eval. Checked on every import statement, including the
ones inside functions."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from tests.conftest import REPO

# rag's base modules: values, settings and errors every layer may use.
BASE = {"rag.types", "rag.config", "rag.errors", "rag.filters", "rag.checksums", "rag._offline", "rag.seeds"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from rag import x` may name a module as well as a value.
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "rag")
    return {name for name in found if name.split(".")[0] in {"rag", "ingest", "ui", "eval"}}


def _modules(package: str) -> list[tuple[str, Path]]:
    pairs = []
    for path in sorted((REPO / package).rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        pairs.append((name, path))
    return pairs


def _layer(name: str) -> str:
    """rag.answer.extractive -> rag.answer; rag.types -> rag.types; ingest.cli -> ingest."""
    parts = name.split(".")
    if parts[0] != "rag":
        return parts[0]
    if len(parts) > 1 and parts[1] in {"index", "answer", "llm", "text"}:
        return ".".join(parts[:2])
    return name


def _is_module(name: str) -> bool:
    return any((REPO / Path(*name.split("."))).with_suffix(suffix).exists() for suffix in (".py",)) or (
        REPO / Path(*name.split(".")) / "__init__.py"
    ).exists()


def _allowed(importer: str, imported: str) -> bool:
    source, target = _layer(importer), _layer(imported)
    if imported == "rag" or not _is_module(imported) and imported.startswith("rag."):
        # the package root (its public API), or a value imported from it
        return source not in {"rag.text", "rag.index", "rag.llm", "rag.answer"} and importer not in BASE
    if source == target or target.split(".")[0] == source:
        return True
    if target in {"ui", "eval"}:
        return False  # nothing imports ui or eval
    if source == "rag.text":
        return target == "rag.errors"
    if importer in BASE:
        return target in BASE or target == "rag.text"
    if source == "rag.index":
        return target in BASE or target == "rag.text"
    if source == "rag.llm":
        return target in BASE or target == "rag.text"
    if source == "rag.answer":
        return target in BASE or target in {"rag.text", "rag.index", "rag.llm"}
    if source.startswith("rag"):
        # the front: rag/__init__, api, cli, ask_command may use every rag layer, nothing outside
        return target.startswith("rag")
    if source == "ingest":
        return target in BASE or target in {"rag.text", "rag.index", "rag.cli"}
    # ui and eval sit on top: they use rag and ingest
    return source in {"ui", "eval"} and target.split(".")[0] in {"rag", "ingest"}


@pytest.mark.parametrize("package", ["rag", "ingest", "ui", "eval"])
def test_layout__imports_point_down_the_layers(package: str) -> None:
    wrong = [
        f"{importer} imports {imported}"
        for importer, path in _modules(package)
        for imported in sorted(_imports(path))
        if not _allowed(importer, imported)
    ]
    assert wrong == []


def test_layout__the_checker_catches_a_wrong_way_import() -> None:
    # the rule itself, so the test above cannot pass by allowing everything
    assert not _allowed("rag.index.store", "rag.answer.assistant")
    assert not _allowed("rag.text.sentences", "rag.index.bm25")
    assert not _allowed("rag.llm.openai_chat", "rag.answer.prompts")
    assert not _allowed("rag.answer.assistant", "ingest.seeding")
    assert not _allowed("ingest.pipeline", "rag.answer.verify")
    assert not _allowed("ingest.pipeline", "ui.app")
    assert not _allowed("ui.app", "eval.runner")
    assert not _allowed("eval.runner", "ui.app")
    assert not _allowed("rag.types", "rag.index.store")
    assert _allowed("rag.answer.extractive", "rag.index.embeddings")
    assert _allowed("ingest.pipeline", "rag.index.store")


def test_layout__the_readme_tree_names_every_rag_subpackage() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for package in sorted(p.name for p in (REPO / "rag").iterdir() if (p / "__init__.py").exists()):
        assert f"{package}/" in readme, package


def test_layout__no_import_cycles() -> None:
    # Every import, lazy ones included: a cycle hidden inside a function (as chat <-> openai_chat
    # once was) still ties two modules into one. `rag` itself (the public API) is left out: it
    # imports the layers, and only ui/eval/ingest import it (checked above).
    modules = {name: path for package in ("rag", "ingest", "ui", "eval") for name, path in _modules(package)}
    edges = {
        name: sorted(i for i in _imports(path) if i in modules and i not in (name, "rag"))
        for name, path in modules.items() if name != "rag"
    }
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in edges.get(name, []):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []


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
