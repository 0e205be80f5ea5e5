"""Text that is not valid Unicode, from every public entry point; names shown on one line.

On Linux, argv bytes that are not UTF-8 reach Python as surrogate escapes ("\\xff" -> "\\udcff").
Such a string must be an `InvalidInputError` (CLI: exit 2, one line), never a crash in the
tokenizer or Chroma.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ingest import ingest_paths
from rag import Assistant, Filters, InvalidInputError, Settings, Turn
from rag.cli import main
from tests.conftest import REPO
from tests.fakes import FakeEmbedder
from tests.helpers import seeded_settings

AGES = "How old were the captured soldiers?"
NOT_UTF8 = "How old were the \udcff captured soldiers?"  # what Python makes of the byte 0xFF in argv
LONE = "How old \ud800 were the captured soldiers?"


@pytest.fixture(scope="module")
def offline(tmp_path_factory) -> Assistant:
    settings = seeded_settings(tmp_path_factory, "bad-input-index")
    return Assistant(settings, embedder=FakeEmbedder())


# -- not valid Unicode -----------------------------------------------------------


@pytest.mark.parametrize("question", [NOT_UTF8, LONE])
def test_surrogate__in_the_question_is_an_input_error_naming_the_position(offline, question):
    with pytest.raises(InvalidInputError, match=r"The question is not valid Unicode: character \d+ is") as raised:
        offline.ask(question)
    with pytest.raises(InvalidInputError, match="not valid Unicode"):
        list(offline.ask_stream(question))
    with pytest.raises(InvalidInputError, match="not valid Unicode"):
        offline.retrieve(question)
    assert "UTF-8" in str(raised.value)


def test_surrogate__message_says_which_byte_and_what_to_do(offline):
    with pytest.raises(InvalidInputError) as raised:
        offline.ask(NOT_UTF8)
    assert str(raised.value).startswith(
        "The question is not valid Unicode: character 18 is the byte 0xFF, which is not UTF-8."
    )
    assert "set its encoding to UTF-8" in str(raised.value)
    with pytest.raises(InvalidInputError, match=r"character 9 is a lone surrogate \(U\+D800\)"):
        offline.ask(LONE)


def test_surrogate__in_a_doc_id_is_an_input_error_not_a_store_error(offline):
    with pytest.raises(InvalidInputError, match="The doc_id is not valid Unicode"):
        offline.get_document("seeds/x\udcff.txt")
    with pytest.raises(InvalidInputError, match="The doc_id must be text, not int"):
        offline.get_document(7)


@pytest.mark.parametrize("field", ["doc_ids", "sources", "titles"])
def test_surrogate__in_a_filter_value_is_an_input_error_naming_the_field(offline, field):
    for value in ("x\udcff", ["fine", "x\udcff"]):
        with pytest.raises(InvalidInputError, match=f"filters: {field} entry .* is not valid Unicode"):
            offline.ask(AGES, filters={field: value})
        with pytest.raises(InvalidInputError, match=f"filters: {field} entry"):
            offline.retrieve(AGES, filters={field: value})


@pytest.mark.parametrize("history", [
    [("Which soldiers did Ukraine capture \udcff?", "Two.")],
    [("Which soldiers did Ukraine capture?", "Two \ud800.")],
    [{"role": "user", "content": "Which soldiers \udcff?"}],
    [Turn("Which soldiers did Ukraine capture?", "Two \udcff.")],
])
def test_surrogate__in_the_history_is_an_input_error_naming_the_turn(offline, history):
    with pytest.raises(InvalidInputError, match=r"of history turn 1 is not valid Unicode"):
        offline.ask("How old were they?", history=history)


def test_history__that_is_not_a_list_is_an_input_error(offline):
    with pytest.raises(InvalidInputError, match="history must be a list of earlier turns, not int"):
        offline.ask(AGES, history=42)


def test_surrogate__from_the_command_line_is_a_usage_error_on_one_line(tmp_path):
    # A bytes argument: the child process decodes argv itself, as it would from a terminal.
    command = [sys.executable, "-c", "import sys; from rag.cli import main; sys.exit(main())",
               "ask", b"How old were the \xff captured soldiers?", "--data-dir", str(tmp_path / "index")]
    env = {**os.environ, "PYTHONPATH": str(REPO), "LC_ALL": "C.UTF-8"}
    result = subprocess.run(command, check=False, capture_output=True, env=env, cwd=tmp_path, timeout=120)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr and result.stdout == b""
    assert stderr.splitlines() == [(
        "Error: The question is not valid Unicode: character 18 is the byte 0xFF, which is not UTF-8. "
        "Send it as UTF-8 text (for a terminal, set its encoding to UTF-8) and try again."
    )]


def test_bad_filter_value__from_the_command_line_is_a_usage_error_naming_it(tmp_path):
    runner = CliRunner()
    for item, words in [
        ("from=yesterday", "published_from 'yesterday' is not a date in the expected format"),
        ("published_from=yesterday", "use an ISO date, YYYY-MM-DD"),
        ("to=2025-13-01", "published_to '2025-13-01' is not a real date"),
        ("title=x\udcff", "filters: titles entry 'x\\udcff' is not valid Unicode"),
    ]:
        result = runner.invoke(main, ["ask", AGES, "--filter", item, "--data-dir", str(tmp_path / "index")])
        assert result.exit_code == 2, (item, result.output)
        assert words in result.output and "Traceback" not in result.output
    reversed_range = runner.invoke(main, ["ask", AGES, "--filter", "from=2025-05-01", "--filter", "to=2025-01-01"])
    assert reversed_range.exit_code == 2
    assert "published_from (2025-05-01) is after published_to (2025-01-01)" in reversed_range.output
    assert not (tmp_path / "index").exists()  # refused before opening anything


def test_filters__built_directly_are_checked_too():
    with pytest.raises(InvalidInputError, match="filters: titles must be a string or a list of strings, not int"):
        Filters(titles=123)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="not valid Unicode"):
        Filters(doc_ids=("a\udcff",))


# -- names shown in the ingest report --------------------------------------------


def test_ingest_report__a_doc_id_or_file_name_cannot_forge_a_line(tmp_path, monkeypatch):
    import ingest.pipeline

    fake = FakeEmbedder()
    monkeypatch.setattr(ingest.pipeline, "build_embedder", lambda settings: fake)
    monkeypatch.setattr(ingest.pipeline, "embedder_name", lambda settings: fake.name)
    folder = tmp_path / "articles"
    folder.mkdir()
    forged = "9 new, 0 updated, 0 unchanged, 0 failed; all done"
    text = "Seoul said 300 North Korean soldiers were killed in Kursk, and 2,700 were wounded."
    ids = ["real", f"evil\n{forged}", "tab\tesc\x1b[2Jrlo\u202eline\u2028end"]
    (folder / "feed.jsonl").write_text("".join(json.dumps({"id": i, "text": text}) + "\n" for i in ids), encoding="utf-8")
    (folder / f"bad\n{forged}.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")

    result = CliRunner().invoke(main, ["ingest", str(folder), "--data-dir", str(tmp_path / "index")])

    lines = result.output.splitlines()
    assert result.exit_code == 1, result.output
    assert not any(line.startswith(forged) for line in lines), result.output
    assert len(lines) == 4, result.output  # the failed file, two duplicates, the summary
    assert any(line.startswith("skipped ") and f"bad\\n{forged}.txt: binary file, not text" in line for line in lines)
    assert any(line.startswith("skipped ") and f"evil\\n{forged}" in line for line in lines)
    assert "skipped tab\\tesc\\x1b[2Jrlo\\u202eline\\u2028end: same text as real" in lines
    assert not any(char in result.output for char in "\t\x1b\u202e\u2028")
    assert lines[-1].startswith("1 new, 0 updated, 0 unchanged, 1 failed, 2 duplicate")


# -- not valid Unicode in what is ingested ------------------------------------------


def test_ingest__a_file_name_that_is_not_utf8_is_reported_and_the_rest_ingested(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "fine.txt").write_text("Fine story\n\nThe bridge reopened on Monday after repairs.\n", encoding="utf-8")
    os.makedirs(os.path.join(os.fsencode(folder), b"caf\xe9-folder"))
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as out:
        out.write(b"Cafe story\n\nThe cafe opened a second room for the winter.\n")

    report = ingest_paths([folder], Settings(data_dir=tmp_path / "index"), embedder=FakeEmbedder())

    assert report.new == ("news/fine.txt",)
    assert sorted(p.path.rsplit("/", 1)[1] for p in report.problems) == ["caf\\udce9-folder", "caf\\udce9.txt"]
    assert all("not valid UTF-8" in p.message and "rename" in p.message for p in report.problems)


def test_ingest__a_json_line_with_a_lone_surrogate_is_a_problem_of_that_line(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join([
        json.dumps({"id": "ok", "text": "The bridge reopened on Monday after repairs."}),
        '{"id": "bad-text", "text": "The caf\\udcff opened a second room."}',
        '{"id": "bad-\\ud800-id", "text": "A third story about the harbour."}',
    ]) + "\n", encoding="utf-8")

    report = ingest_paths([feed], Settings(data_dir=tmp_path / "index"), embedder=FakeEmbedder())

    assert report.new == ("ok",)
    assert [(p.line, p.message.split(":")[0]) for p in report.problems] == [(2, "field 'text'"), (3, "field 'id'")]
    assert all("not valid Unicode" in p.message for p in report.problems)
