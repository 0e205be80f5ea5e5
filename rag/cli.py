"""The `rag` command. Subcommands (`ingest`, `ask`, `ui`, `eval`) are plugins registered
under the `rag.commands` entry point group, so this module imports none of them.

Exit codes: 0 done; 1 done, but some inputs failed or the question was refused;
2 usage error; 3 nothing done (for example the index is locked or unreadable).
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable

import click
from pydantic import ValidationError

from rag.config import Settings
from rag.errors import InvalidInputError, RagError
from rag.text.unicode import printable

EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_FATAL = 3


class PluginGroup(click.Group):
    """A group whose commands come from the `rag.commands` entry points, loaded on demand."""

    def _plugins(self) -> dict:
        return {ep.name: ep for ep in entry_points(group="rag.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            command = self._plugins()[name].load()
        return command


class FatalError(click.ClickException):
    """A RagError shown to the user as one clean line, with exit code 3."""

    exit_code = EXIT_FATAL


class InputError(click.ClickException):
    """An `InvalidInputError` (a question or filter that cannot be used) as one clean line,
    with the usage-error exit code 2."""

    exit_code = EXIT_USAGE


def data_dir_option(command: Callable) -> Callable:
    """`--data-dir`, shared by every subcommand; it overrides RAG_DATA_DIR."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the index lives [default: RAG_DATA_DIR or ./.rag].",
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
    Chroma database. Configure with RAG_* environment variables or a .env file.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
