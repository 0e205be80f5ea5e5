"""The chat UI on a Chroma server that stops mid-session: a readable error in the chat and
the upload panel, then answers again once the server is back, without restarting the app."""

from __future__ import annotations

import pytest

from tests.chroma_server import chroma_server  # noqa: F401  (fixture)
from tests.ui_helpers import ZORBLAT, ask, running_app
from ui.render import ERROR_LABEL
from ui.uploads import uploads_dir

gradio_client = pytest.importorskip("gradio_client")

AGES = "How old were the captured soldiers?"


def upload(client, path) -> str:
    message, _, _ = client.predict([gradio_client.handle_file(str(path))], [], api_name="/upload")
    return message


def test_ui__chroma_server_stopped_mid_session__clear_error_then_recovers(
    chroma_server, real_embedder, tmp_path  # noqa: F811
):
    where = f"{chroma_server.host}:{chroma_server.port}"
    with running_app(tmp_path / "app", real_embedder, settings_fields=chroma_server.settings_fields()) as app:
        assert not (tmp_path / "app" / "chroma").exists(), "the index must live on the server"
        client = gradio_client.Client(app["url"], verbose=False)
        assert "20 and 26" in ask(client, AGES)["answer"]

        chroma_server.stop()
        for _ in range(2):  # the failure is not cached, nor does it break the session
            down = ask(client, AGES)
            assert down["raw"].startswith(ERROR_LABEL), down["raw"]
            assert where in down["answer"] and "unreachable" in down["answer"], down["answer"]
            assert "chroma run" in down["answer"]
            assert "rag-error" in down["sources"] and where in down["sources"]
            assert "Traceback" not in down["answer"] + down["sources"]

        article = tmp_path / "zorblat festival.txt"
        article.write_text(ZORBLAT, encoding="utf-8")
        message = upload(client, article)
        assert "Could not add the files" in message and where in message, message
        # A failed upload keeps nothing half-done: the saved copy is removed again.
        assert not list(uploads_dir(app["settings"]).glob("zorblat*"))

        chroma_server.start()  # same port, same --path
        back = ask(client, AGES)
        assert not back["raw"].startswith(ERROR_LABEL) and "20 and 26" in back["answer"], back["answer"]
        assert "Added 1 article" in upload(client, article)
        assert "40,000" in ask(client, "How many visitors did the Zorblat festival draw?")["answer"]
