"""Article files in UTF-16 or UTF-32 with a byte-order mark are read; UTF-16 without one is
named as such rather than called "binary". Windows-1252 files are read, and say so."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest import ingest_paths
from ingest.cli import _print_report
from ingest.decoding import decode_bytes
from ingest.loaders import LoadError, read_text
from tests.helpers import assert_consistent, open_store

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
        (b"Caf\xe9 \x81 au lait", "not valid UTF-8 (byte 3) nor Windows-1252 (byte 5): re-save the file as UTF-8"),
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


# --- Windows-1252 -----------------------------------------------------------

CP1252 = b"Caf\xe9 \x93quoted\x94 \x96 dash, \x80 5 and na\xefve co\xf6perate \x85"


def test_decode__windows_1252_is_assumed_when_not_utf8_and_says_so():
    decoded = decode_bytes(CP1252)
    assert decoded.text == "Café “quoted” – dash, € 5 and naïve coöperate …"
    assert (decoded.encoding, decoded.assumed) == ("cp1252", "Windows-1252")
    # Latin-1 text is Windows-1252 text (same letters); UTF-8 and byte-order marks are not assumed.
    assert decode_bytes("Café au lait".encode("latin-1")).text == "Café au lait"
    assert decode_bytes("Café".encode("utf-8")).assumed is None
    assert decode_bytes(codecs.BOM_UTF16_LE + "Café".encode("utf-16-le")).assumed is None


@pytest.mark.parametrize(("data", "message"), [
    # 0x81 means nothing in cp1252 (and a C1 control in Latin-1): no Latin-1 fallback.
    (b"Caf\xe9 \x81", "not valid UTF-8 (byte 3) nor Windows-1252 (byte 5): re-save the file as UTF-8"),
    # Cyrillic in Windows-1251 decodes as cp1252 too, into accented Latin: refused, not indexed as garbage.
    ("Войска вошли в Курск".encode("cp1251"), "not valid UTF-8 (byte 0), and as Windows-1252 most of its "
     "letters would be accented: another legacy encoding (Cyrillic, Greek, ...)? re-save the file as UTF-8"),
    # UTF-8 curly quotes next to a stray Latin-1 byte: cp1252 would turn them into "â€œ".
    ("“Quoted” caf".encode("utf-8") + b"\xe9", "mixes UTF-8 with another encoding (byte 16 is not UTF-8): "
     "re-save the file as UTF-8"),
    (b"\x01\x02\x03 \xe9 some binary", "binary file, not text"),
])
def test_read_text__bytes_that_are_not_western_text_are_still_refused(tmp_path, data, message):
    path = tmp_path / "article.txt"
    path.write_bytes(data)
    with pytest.raises(LoadError) as raised:
        read_text(path, LIMIT)
    assert str(raised.value) == message


def test_ingest__windows_1252_article_is_indexed_noted_and_marked(tmp_path: Path, settings, fake_embedder, caplog, capsys):
    folder = tmp_path / "articles"
    folder.mkdir()
    legacy = ARTICLE.replace(" (Київ). 🪖", ".")  # curly quotes and the dash are in Windows-1252
    (folder / "legacy.txt").write_bytes(legacy.encode("cp1252"))
    (folder / "modern.md").write_text("# Café Owners Protest New Rules\n\nThe café owners met.\n", encoding="utf-8")

    with caplog.at_level("INFO", logger="ingest.loaders"):
        report = ingest_paths([folder], settings, embedder=fake_embedder)

    assert report.problems == () and len(report.new) == 2
    assert report.notes == (f"{folder / 'legacy.txt'}: not UTF-8, decoded as Windows-1252",)
    assert "legacy.txt: not UTF-8, decoded as Windows-1252" in caplog.text
    _print_report(report, as_json=False)  # what `rag ingest` prints
    assert f"note: {folder / 'legacy.txt'}: not UTF-8, decoded as Windows-1252\n" in capsys.readouterr().err
    store = open_store(settings, fake_embedder.name)
    document = store.get_document("articles/legacy.txt")
    assert document.text == legacy
    assert document.title == "Seoul Says 300 North Korean Soldiers Died in Kursk"
    assert document.metadata["encoding"] == "cp1252"
    assert "encoding" not in store.get_document("articles/modern.md").metadata
    assert_consistent(store)
