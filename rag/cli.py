"""The `rag` command. Its subcommands are plugins: entry points in the `rag.commands` group,
found through the installed package metadata and imported only when used, so this module
imports none of them (`rag` may not import ingest, ui or eval: tests/test_layout.py). The
built-in ones, as pyproject.toml registers them (`[project.entry-points."rag.commands"]`):

    command        defined in             function
    rag ask        rag/ask_command.py     ask_command
    rag info       rag/info_command.py    info_command
    rag read-ahead rag/read_ahead_command.py  read_ahead_command
    rag ingest     ingest/cli.py          ingest_command
    rag remove     ingest/cli.py          remove_command
    rag demo       ingest/cli.py          demo_command
    rag ui         ui/cli.py              ui_command
    rag eval       eval/cli.py            eval_command

First-use seeding is a plugin too, in the `rag.bootstrap` group: `seeds` is
ingest/seeding.py's `ingest_seeds(settings, embedder)`, called by rag/answer/assistant.py
(`Assistant._fill_empty_index`) when the index is empty; ingest/demo.py decides when that
demo leaves. So is adding articles from Python,
in the `rag.ingest` group: `paths` is ingest/api.py's `add_paths(settings, embedder, paths, ...)`,
called by `Assistant.add` (and `rag.add`) with the assistant's own embedder.

Another installed package adds a command the same way (README, "Adding a command to `rag`");
one that cannot be loaded is listed as broken and fails alone, with a message naming it.

Exit codes: 0 done; 1 done, but some inputs failed or the question was refused;
2 usage error; 3 nothing done (for example the index is locked or unreadable).
"""

from __future__ import annotations

import logging
import sys
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Callable

import click
from pydantic import ValidationError

from rag.config import Settings
from rag.errors import InvalidInputError, RagError
from rag.text.unicode import printable

EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_FATAL = 3


class PluginGroup(click.Group):
    """A group whose commands come from the `rag.commands` entry points, loaded on demand
    (read afresh each time: nothing is cached). A plugin that fails to load becomes a
    `BrokenPlugin` command instead of breaking `rag` as a whole."""

    def _plugins(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group="rag.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        plugin = self._plugins().get(name) if command is None else None
        if plugin is None:
            return command
        try:
            loaded = plugin.load()
        except Exception as exc:  # any error importing a third-party module
            return BrokenPlugin(plugin, f"{type(exc).__name__}: {exc}")
        if not isinstance(loaded, click.Command):
            return BrokenPlugin(plugin, f"it names an object of type {type(loaded).__name__}, not a click command")
        return loaded


class BrokenPlugin(click.Command):
    """Stands in for a `rag.commands` plugin that cannot be loaded: listed in `rag --help`
    as broken; running it prints what failed and which package to fix, exit code 3."""

    def __init__(self, plugin: EntryPoint, problem: str) -> None:
        dist = f" (package {plugin.dist.name} {plugin.dist.version})" if plugin.dist is not None else ""
        self.problem = printable(
            f"The `rag {plugin.name}` command cannot be loaded: its plugin {plugin.value}{dist} "
            f"failed with {problem}. Reinstall or uninstall that package; the other commands still work."
        )
        super().__init__(
            plugin.name,
            callback=self._fail,
            help=self.problem,
            short_help="BROKEN: cannot be loaded, run it for details.",
            context_settings={"ignore_unknown_options": True},
            params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        )

    def _fail(self, args: tuple[str, ...]) -> None:
        raise FatalError(self.problem)


class FatalError(click.ClickException):
    """A RagError shown to the user as one clean line, with exit code 3."""

    exit_code = EXIT_FATAL


class InputError(click.ClickException):
    """An `InvalidInputError` (a question or filter that cannot be used) as one clean line,
    with the usage-error exit code 2."""

    exit_code = EXIT_USAGE


class ProgressBar:
    """A tqdm bar on stderr for a command's long work (`rag ingest`, `rag read-ahead`): only
    on a terminal, only when asked (`enabled`) and only once there is something left to do;
    tqdm is imported when first needed. Called as a progress callback `(done, total)`."""

    def __init__(self, enabled: bool, desc: str, unit: str, unit_scale: bool = False) -> None:
        self._enabled, self._desc, self._unit, self._unit_scale = enabled, desc, unit, unit_scale
        self._bar: Any = None  # a tqdm bar

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or (self._bar is None and done >= total):
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self._desc, unit=self._unit, unit_scale=self._unit_scale,
                             file=sys.stderr, leave=False, disable=None)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def data_dir_option(command: Callable) -> Callable:
    """`--data-dir`, shared by every subcommand; it overrides RAG_DATA_DIR."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the index lives [default: RAG_DATA_DIR, else your user data dir; `rag info` shows it].",
    )(command)


def load_settings(data_dir: Path | None) -> Settings:
    """Settings from the environment and `.env`, with `--data-dir` applied."""
    try:
        return Settings().with_data_dir(data_dir)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise FatalError(f"Invalid configuration: {problems}") from None


LEGACY_DATA_DIR = Path(".rag")  # the default before the per-user data dir


def legacy_index_note(settings: Settings) -> str | None:
    """A hint when the current folder holds an index of the old default (`./.rag`) that
    `settings` does not point at, so upgrading never looks like losing the articles."""
    if not (LEGACY_DATA_DIR / "chroma").is_dir() or LEGACY_DATA_DIR.resolve() == settings.data_dir.resolve():
        return None
    return (f"An index is also in {LEGACY_DATA_DIR.resolve()} (the old default): "
            "use --data-dir .rag (or RAG_DATA_DIR=.rag) to keep using it.")


def tell_seeding(settings: Settings) -> Callable[[str], None]:
    """The `Assistant(on_seed=...)` hook of a command: the line that the demo articles are
    being indexed into an empty index, plainly on stderr (with the hint above, if any)."""

    def tell(line: str) -> None:
        click.echo(printable(line), err=True)
        note = legacy_index_note(settings)
        if note is not None:
            click.echo(printable(note), err=True)

    return tell


def fail_cleanly(exc: RagError) -> click.ClickException:
    """The ClickException to raise for a RagError: its message on one line (control characters
    escaped), no traceback; exit code 2 for bad input, 3 otherwise."""
    message = printable(str(exc))
    return InputError(message) if isinstance(exc, InvalidInputError) else FatalError(message)


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Show progress details (-vv for debug logs).")
@click.version_option(package_name="newsrag")
def main(verbose: int) -> None:
    """Ask questions about news articles and get answers that cite their sources.

    Works offline: articles are indexed with a bundled embedding model into a local
    Chroma database, one per user (`rag info` shows where). Configure with RAG_*
    environment variables or a .env file.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
