"""`rag` and `rag ingest` through click's runner: help, output, exit codes."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from rag.cli import main
from rag.index.lock import write_lock
from tests.helpers import copy_seeds


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_help__lists_ingest_and_explains_the_tool():
    result = run("--help")
    assert result.exit_code == 0
    assert "cite their sources" in result.output and "ingest" in result.output


def test_ingest_help__documents_formats_options_and_exit_codes():
    result = run("ingest", "--help")
    assert result.exit_code == 0
    for words in (".jsonl", ".html", "--prune", "--data-dir", "--json", "Exit code"):
        assert words in result.output


def test_ingest__prints_a_one_line_summary(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    first = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("2 new, 0 updated, 0 unchanged, 0 failed;")
    again = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert "0 new, 0 updated, 2 unchanged, 0 failed" in again.output


def test_ingest__failures_are_listed_and_exit_code_is_1(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    (tmp_path / "articles" / "broken.jsonl").write_text('{"text": "fine"}\n{oops\n', encoding="utf-8")
    result = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert result.exit_code == 1
    assert "broken.jsonl:2: invalid JSON" in result.output
    assert "3 new, 0 updated, 0 unchanged, 1 failed" in result.output


def test_ingest__json_report(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    result = run("ingest", str(tmp_path / "articles"), "--json", env={"RAG_DATA_DIR": str(tmp_path / "idx")})
    report = json.loads(result.stdout)
    assert len(report["new"]) == 2 and report["failed"] == 0 and report["chunks_total"] > 0
    assert (tmp_path / "idx" / "chroma").is_dir()


def test_ingest__locked_index_is_a_clean_error_with_exit_code_3(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    with write_lock(tmp_path / "idx"):
        result = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert result.exit_code == 3
    assert "is being written by pid" in result.output and "Traceback" not in result.output


def test_ingest__invalid_configuration_is_a_clean_error(tmp_path):
    result = run("ingest", str(tmp_path), env={"RAG_CHUNK_TOKENS": "lots"})
    assert result.exit_code == 3
    assert "Invalid configuration: chunk_tokens" in result.output


def test_ingest__needs_a_path():
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code == 2 and "Missing argument 'PATHS...'" in result.output


def _use_fake_embedder(monkeypatch, fake_embedder) -> None:
    # The CLI builds its embedder from settings; swap in the fake where the pipeline looks.
    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "build_embedder", lambda settings: fake_embedder)
    monkeypatch.setattr(ingest.pipeline, "embedder_name", lambda settings: fake_embedder.name)


def test_read_ahead__reads_every_indexed_sentence_once(tmp_path, monkeypatch, fake_embedder):
    import rag.answer.assistant

    _use_fake_embedder(monkeypatch, fake_embedder)
    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: fake_embedder)
    monkeypatch.setattr(rag.answer.assistant, "embedder_name", lambda settings: fake_embedder.name)
    copy_seeds(tmp_path / "articles")
    assert run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx")).exit_code == 0

    first = run("read-ahead", "--data-dir", str(tmp_path / "idx"), "-q")
    again = run("read-ahead", "--data-dir", str(tmp_path / "idx"), "-q")

    assert first.exit_code == 0, first.output
    read = int(first.stdout.split()[1].replace(",", ""))
    assert read > 50 and first.stdout.startswith(f"Read {read:,} of {read:,} sentences (0 were kept already)")
    assert again.stdout.startswith(f"Read 0 of {read:,} sentences ({read:,} were kept already)")
    assert (tmp_path / "idx" / "sentence-vectors.sqlite3").is_file()
    # Nothing to keep them in: a clean error naming the setting, exit code 3.
    monkeypatch.setenv("RAG_SENTENCE_STORE", "false")
    off = run("read-ahead", "--data-dir", str(tmp_path / "idx"), "-q")
    assert off.exit_code == 3 and "RAG_SENTENCE_STORE=false" in off.output and "Traceback" not in off.output


# -- subcommands are `rag.commands` entry points; third-party plugins are a feature --------

BUILT_IN_COMMANDS = {
    "ask": "rag.ask_command:ask_command",
    "info": "rag.info_command:info_command",
    "read-ahead": "rag.read_ahead_command:read_ahead_command",
    "ingest": "ingest.cli:ingest_command",
    "remove": "ingest.cli:remove_command",
    "demo": "ingest.cli:demo_command",
    "ui": "ui.cli:ui_command",
    "eval": "eval.cli:eval_command",
}


def test_commands__the_built_in_ones_are_exactly_these():
    import tomllib
    from importlib.metadata import entry_points

    from tests.conftest import REPO

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["rag.commands"] == BUILT_IN_COMMANDS
    assert project["entry-points"]["rag.bootstrap"] == {"seeds": "ingest.seeding:ingest_seeds"}
    # The installed metadata says the same (else: pip install -e . again).
    assert {ep.name: ep.value for ep in entry_points(group="rag.commands")} == BUILT_IN_COMMANDS
    assert [ep.value for ep in entry_points(group="rag.bootstrap")] == ["ingest.seeding:ingest_seeds"]
    assert set(main.list_commands(click.Context(main))) == set(BUILT_IN_COMMANDS)
    for name, value in BUILT_IN_COMMANDS.items():
        help_text = run(name, "--help")
        assert help_text.exit_code == 0, (name, help_text.output)
        assert f"Usage: main {name} " in help_text.output


def _install_plugin(site, monkeypatch, module: str, source: str, commands: dict[str, str]) -> None:
    """A third-party package as pip would leave it: a module and its `.dist-info` with entry points."""
    import sys

    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    dist_info = site / f"{module}-1.0.dist-info"
    dist_info.mkdir()
    name = module.replace("_", "-")
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    lines = "".join(f"{command} = {target}\n" for command, target in commands.items())
    (dist_info / "entry_points.txt").write_text(f"[rag.commands]\n{lines}", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))  # also invalidates the import caches
    monkeypatch.delitem(sys.modules, module, raising=False)  # removed again after the test


HELLO = '''
import click

@click.command("hello")
@click.argument("name")
@click.option("--shout", is_flag=True, help="Say it loudly.")
def hello(name, shout):
    """Greet NAME (a third-party plugin)."""
    greeting = f"Hello, {name}!"
    click.echo(greeting.upper() if shout else greeting)
'''


def test_plugin__a_third_party_command_is_listed_and_runs(tmp_path, monkeypatch):
    _install_plugin(tmp_path / "site", monkeypatch, "rag_hello_plugin", HELLO, {"hello": "rag_hello_plugin:hello"})

    listing = run("--help")
    assert listing.exit_code == 0
    assert "hello" in listing.output and "Greet NAME (a third-party plugin)." in listing.output
    assert all(name in listing.output for name in BUILT_IN_COMMANDS)

    result = run("hello", "World", "--shout")
    assert (result.exit_code, result.output) == (0, "HELLO, WORLD!\n")


def test_plugin__is_found_without_restarting_rag(tmp_path, monkeypatch):
    # Nothing is cached: a plugin installed after `rag` was imported (and used) is found.
    assert "hello" not in run("--help").output
    _install_plugin(tmp_path / "site", monkeypatch, "rag_late_plugin", HELLO, {"hello": "rag_late_plugin:hello"})
    assert run("hello", "again").output == "Hello, again!\n"


def test_plugin__a_broken_one_is_named_and_the_others_still_work(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _install_plugin(site, monkeypatch, "rag_broken_plugin", "import a_module_that_is_not_installed\n",
                    {"broken": "rag_broken_plugin:command"})
    _install_plugin(site, monkeypatch, "rag_odd_plugin", "command = 42\n", {"odd": "rag_odd_plugin:command"})
    _install_plugin(site, monkeypatch, "rag_hello_plugin", HELLO, {"hello": "rag_hello_plugin:hello"})

    listing = run("--help")
    assert listing.exit_code == 0 and "Traceback" not in listing.output
    assert "broken" in listing.output and "BROKEN: cannot be loaded" in listing.output
    assert "Greet NAME" in listing.output and "ingest" in listing.output

    broken = CliRunner().invoke(main, ["broken", "some", "--args"])
    assert broken.exit_code == 3 and broken.exception is not None and isinstance(broken.exception, SystemExit)
    assert "Traceback" not in broken.output
    assert (
        "The `rag broken` command cannot be loaded: its plugin rag_broken_plugin:command "
        "(package rag-broken-plugin 1.0) failed with ModuleNotFoundError: "
        "No module named 'a_module_that_is_not_installed'. Reinstall or uninstall that package"
    ) in broken.output

    odd = CliRunner().invoke(main, ["odd"])
    assert odd.exit_code == 3 and "it names an object of type int, not a click command" in odd.output

    assert run("hello", "World").output == "Hello, World!\n"
    assert run("ingest", "--help").exit_code == 0
