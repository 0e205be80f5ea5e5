"""`rag ui`: the chat UI in a browser, on 127.0.0.1:7860 by default."""

from __future__ import annotations

import os
from pathlib import Path

import click

from rag import Assistant, RagError
from rag.cli import FatalError, data_dir_option, fail_cleanly, load_settings, tell_seeding

AUTH_VARIABLE = "RAG_UI_AUTH"


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`user:password` from RAG_UI_AUTH (None when unset or empty)."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise FatalError(f"{AUTH_VARIABLE} must look like user:password.")
    return user, password


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--share", is_flag=True, help="Also publish a temporary public gradio.live link (off by default).")
@data_dir_option
def ui_command(host: str, port: int, share: bool, data_dir: Path | None) -> None:
    """Chat with the articles in a browser: streamed answers with highlighted sources,
    example questions, an article filter and uploads (.txt, .md, .html, .jsonl).

    Set RAG_UI_AUTH=user:password to require a login. The demo articles are indexed
    on first use. Uploads only ever add articles (RAG_UI_UPLOADS=false turns them
    off); RAG_UI_ALLOW_REMOVE=true lets logged-in users remove articles.
    """
    settings = load_settings(data_dir)
    auth = parse_auth(os.environ.get(AUTH_VARIABLE))
    if settings.ui_allow_remove and auth is None:
        raise FatalError(
            f"RAG_UI_ALLOW_REMOVE=true needs a login: set {AUTH_VARIABLE}=user:password "
            "(only logged-in users may remove articles)."
        )
    from ui.app import build_app, launch_app  # gradio loads slowly: only when needed

    assistant = Assistant(settings, on_seed=tell_seeding(settings))
    try:
        count = len(assistant.list_documents())  # loads the model; indexes the seeds if empty
    except RagError as exc:
        raise fail_cleanly(exc) from None
    demo = build_app(assistant, settings)
    local_url, share_url = launch_app(
        demo, host=host, port=port, share=share, auth=auth, max_file_mb=settings.max_file_mb
    )
    click.echo(f"newsrag UI: {local_url}  ({count} articles indexed in {settings.data_dir}; Ctrl+C to stop)")
    if share_url:
        click.echo(f"public link: {share_url}")
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
