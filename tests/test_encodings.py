"""Article files in UTF-16 or UTF-32 with a byte-order mark are read; UTF-16 without one is
named as such rather than called "binary"."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest import ingest_paths
from ingest.loaders import LoadError, read_text
from tests.helpers import open_store

ARTICLE = (
    "Seoul Says 300 North Korean Soldiers Died in Kursk\n\n"
    "Seoul’s spy agency said on Monday that about 300 North Korean soldiers had been killed "
    "and 2,700 wounded in Russia’s Kursk region — the first such estimate.\n\n"
    "Zelenskyy said both captured men were receiving treatment in Kyiv (Київ). 🪖\n"
)
LIMIT = 1_000_000


@pytest.mark.parametrize(("mark", "codec"), [
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
])
def test_read_text__decodes_the_encoding_its_byte_order_mark_names(tmp_path, mark, codec):
    path = tmp_path / "article.txt"
    path.write_bytes(mark + ARTICLE.encode(codec))
    assert read_text(path, LIMIT) == ARTICLE
    path.write_bytes(codecs.BOM_UTF8 + ARTICLE.encode("utf-8"))  # as UTF-8 with its mark: the same text
    assert read_text(path, LIMIT) == ARTICLE


@pytest.mark.parametrize(("codec", "endian"), [("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")])
def test_read_text__utf16_without_a_byte_order_mark_is_named_not_called_binary(tmp_path, codec, endian):
    path = tmp_path / "article.txt"
    path.write_bytes(ARTICLE.encode(codec))
    with pytest.raises(LoadError) as raised:
        read_text(path, LIMIT)
    assert str(raised.value) == f"looks like UTF-16 ({endian}) without a byte-order mark: re-save it as UTF-8"
    # ... while binary and other non-UTF-8 files keep their messages.
    for data, message in [
        (b"\x89PNG\r\n\x1a\n\0\0\0", "binary file, not text"),
        (b"\0" * 64, "binary file, not text"),
        (codecs.BOM_UTF16_LE + "a\0b".encode("utf-16-le"), "binary file, not text"),
        ("Caf\xe9 au lait".encode("latin-1"), "not valid UTF-8 (byte 3): re-save the file as UTF-8"),
    ]:
        path.write_bytes(data)
        with pytest.raises(LoadError) as raised:
            read_text(path, LIMIT)
        assert str(raised.value) == message


def not_wide(name: str, byte: int) -> str:
    return (f"not valid UTF-8 or {name} (it starts with a {name} byte-order mark, but byte {byte} does not fit): "
            "re-save the file as UTF-8")


@pytest.mark.parametrize(("data", "message"), [
    (codecs.BOM_UTF16_LE + "Hi".encode("utf-16-le") + b"\x00", not_wide("UTF-16", 6)),  # odd length
    (codecs.BOM_UTF16_LE + b"\x00\xd8A\x00", not_wide("UTF-16", 2)),  # a lone surrogate
    (codecs.BOM_UTF32_BE + b"\x00\x11\x00\x00", not_wide("UTF-32", 4)),  # beyond U+10FFFF
    (b"\xff\xfe not utf-8 any more", not_wide("UTF-16", 20)),  # "ÿþ" in Latin-1, then an odd length
    (codecs.BOM_UTF8 + b"ok \xff", "not valid UTF-8 (byte 6): re-save the file as UTF-8"),  # counted from the file's start
    (codecs.BOM_UTF16_LE + "  \n".encode("utf-16-le"), "empty file"),
])
def test_read_text__a_byte_order_mark_the_bytes_do_not_match_is_said_plainly(tmp_path, data, message):
    path = tmp_path / "article.txt"
    path.write_bytes(data)
    with pytest.raises(LoadError) as raised:
        read_text(path, LIMIT)
    assert str(raised.value) == message


def test_ingest__utf16_article_is_indexed_with_its_text_exactly(tmp_path: Path, settings, fake_embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "windows-notepad.txt").write_bytes(codecs.BOM_UTF16_LE + ARTICLE.encode("utf-16-le"))
    (folder / "no-mark.txt").write_bytes(ARTICLE.replace("Seoul", "Busan").encode("utf-16-le"))

    report = ingest_paths([folder], settings, embedder=fake_embedder)

    assert len(report.new) == 1
    [problem] = report.problems
    assert problem.path.endswith("no-mark.txt") and problem.message.startswith("looks like UTF-16")
    document = open_store(settings, fake_embedder.name).get_document(report.new[0])
    assert document.title == "Seoul Says 300 North Korean Soldiers Died in Kursk"
    assert document.text == ARTICLE  # as the same article saved as UTF-8 is stored
