"""Filters are checked up front: a bad one is an `InvalidInputError` naming its field, never a
TypeError nor a silent "no article matches"; and the README's filter example works on the
demo articles."""

from __future__ import annotations

import ast
import datetime as dt
import re

import pytest

from ingest import ingest_paths
from rag import Assistant, Filters, InvalidInputError, Settings
from tests.conftest import REPO, SEEDS
from tests.fakes import FakeEmbedder
from tests.helpers import seeded_settings

AGES = "How old were the captured soldiers?"


@pytest.fixture(scope="module")
def offline(tmp_path_factory) -> Assistant:
    settings = seeded_settings(tmp_path_factory, "filters-index")
    return Assistant(settings, embedder=FakeEmbedder())


@pytest.mark.parametrize(("filters", "message"), [
    ({"titles": 123}, "filters: titles must be a string or a list of strings, not int"),
    ({"doc_ids": {"a": 1}}, "filters: doc_ids must be a string or a list of strings, not dict"),
    ({"sources": ["ok", 7]}, r"filters: sources must hold strings only, not int \(7\)"),
    ({"titles": ""}, "filters: titles has an empty entry"),
    ({"doc_ids": ["a", "  "]}, "filters: doc_ids has an empty entry"),
    ({"published_from": "yesterday"}, r"filters: published_from 'yesterday' is not a date .*YYYY-MM-DD"),
    ({"published_to": "01/02/2025"}, r"filters: published_to '01/02/2025' is not a date .*YYYY-MM-DD"),
    ({"published_from": "2025-13-01"}, r"filters: published_from '2025-13-01' is not a real date .*YYYY-MM-DD"),
    ({"published_from": "2025-02-30"}, "filters: published_from '2025-02-30' is not a real date"),
    ({"published_from": "20250101"}, "is not a date in the expected format"),
    ({"published_from": ""}, "is not a date in the expected format"),
    ({"published_to": 20250101}, "filters: published_to must be a date or a string, not int"),
    ({"published_from": "2025-05-01", "published_to": "2025-01-01"},
     r"published_from \(2025-05-01\) is after published_to \(2025-01-01\), so no article could match; swap them"),
])
def test_filters__bad_values_are_input_errors_naming_the_field(offline, filters, message):
    with pytest.raises(InvalidInputError, match=message):
        offline.ask(AGES, filters=filters)
    with pytest.raises(InvalidInputError, match=message):
        list(offline.ask_stream(AGES, filters=filters))
    with pytest.raises(InvalidInputError, match=message):
        offline.retrieve(AGES, filters=filters)


def test_filters__dataclass_cannot_be_built_invalid():
    with pytest.raises(InvalidInputError, match="filters: titles must be a string or a list of strings"):
        Filters(titles=123)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="is after published_to"):
        Filters(published_from="2025-05-01", published_to="2025-01-01")
    with pytest.raises(InvalidInputError, match="published_from 'yesterday'"):
        Filters(published_from="yesterday")


def test_filters__are_normalised_dates_as_iso_and_names_as_tuples(offline):
    built = Filters(
        doc_ids="a", sources=["s1", "s2"], titles={"b", "a"},  # type: ignore[arg-type]
        published_from=dt.date(2025, 1, 2), published_to=dt.datetime(2025, 3, 4, 23, 59),  # type: ignore[arg-type]
    )
    assert built == Filters(("a",), ("s1", "s2"), ("a", "b"), "2025-01-02", "2025-03-04")
    assert Filters(published_from=" 2025-01-02 ").published_from == "2025-01-02"
    assert Filters(published_from="2025-01-02", published_to="2025-01-02").published_to == "2025-01-02"
    passages = offline.retrieve(AGES, filters={"titles": ["captures"], "published_from": None})
    assert passages and {p.title for p in passages} == {
        "Ukraine Captures Two North Korean Soldiers, Exposing Alliance With Russia"}


# -- the README's example ----------------------------------------------------------


def readme_filter_examples() -> list[tuple[str, dict]]:
    """Every `rag.ask("question", filters={...})` in the README's Python examples."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL):
        for node in ast.walk(ast.parse(block)):
            if (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "rag"
                and node.func.attr in ("ask", "ask_stream", "retrieve")
            ):
                filters = next((k.value for k in node.keywords if k.arg == "filters"), None)
                if filters is not None:
                    found.append((ast.literal_eval(node.args[0]), ast.literal_eval(filters)))
    return found


def test_readme__filter_example_answers_on_the_demo_articles(tmp_path, real_embedder):
    examples = readme_filter_examples()
    assert examples, "the README shows no rag.ask(..., filters=...) example"
    settings = Settings(data_dir=tmp_path / "index")
    ingest_paths([SEEDS], settings, embedder=real_embedder)
    assistant = Assistant(settings, embedder=real_embedder)
    for question, filters in examples:
        answer = assistant.ask(question, filters=filters)
        assert not answer.refused, (question, filters, answer.text)
        assert answer.citations


# -- one vocabulary: `rag ask --filter` takes the names `rag.Filters` has ------------------


def test_filters__the_cli_and_python_take_the_same_names(tmp_path, monkeypatch, real_embedder):
    import json

    from click.testing import CliRunner

    import rag.answer.assistant
    from rag.answer.assistant import to_filters
    from rag.ask_command import parse_filters
    from rag.cli import main
    from rag.filters import FIELDS

    words = {"doc_ids": "seeds/a.txt", "sources": "wire", "titles": "confirms",
             "published_from": "2025-01-01", "published_to": "2025-12-31"}
    assert tuple(words) == FIELDS  # every field of rag.Filters, in its order
    for name, value in words.items():
        assert parse_filters((f"{name}={value}",)) == Filters(**{name: value}) == to_filters({name: value})
    assert parse_filters(tuple(f"{name}={value}" for name, value in words.items())) == to_filters(words)

    # `rag ask` checks the index's model by name before loading one: the real model, as the CLI uses.
    settings = Settings(data_dir=tmp_path / "index")
    ingest_paths([SEEDS], settings, embedder=real_embedder)
    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: real_embedder)
    assistant = Assistant(settings, embedder=real_embedder)
    question = "What did Kim Jong Un pledge?"
    data_dir = str(settings.data_dir)
    runner = CliRunner()
    from_cli = runner.invoke(main, ["ask", question, "--filter", "titles=confirms", "--json", "--data-dir", data_dir])
    from_python = assistant.ask(question, filters={"titles": "confirms"})
    assert from_cli.exit_code == 0, from_cli.output
    printed = json.loads(from_cli.stdout)
    assert [p["chunk_id"] for p in printed["passages"]] == [p.chunk_id for p in from_python.passages]
    assert printed["text"] == from_python.text and from_cli.stderr == ""

    # The README's old spelling still works, with a warning naming the new one.
    old = runner.invoke(main, ["ask", question, "--filter", "title=confirms", "--json", "--data-dir", data_dir])
    assert json.loads(old.stdout)["passages"] == printed["passages"]
    assert "--filter title= is deprecated; use titles=" in old.stderr

    shown = runner.invoke(main, ["ask", "--help"]).output
    assert all(f"{name}=" in shown for name in FIELDS)
    bad = runner.invoke(main, ["ask", question, "--filter", "colour=red", "--data-dir", data_dir])
    assert bad.exit_code == 2 and f"KEY one of {', '.join(FIELDS)}" in bad.output
