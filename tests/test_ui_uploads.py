"""ui.uploads: untrusted file names never escape the uploads folder and never collide."""

from __future__ import annotations


import pytest

from ui.uploads import is_supported, safe_name, save_upload


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("/abs/path.txt", "path.txt"),
        ("a/b/../c.md", "c.md"),
        ("..\\..\\windows\\evil.HTML", "evil.html"),
        ("C:\\Users\\me\\notes.jsonl", "notes.jsonl"),
        ("..", "upload"),
        ("", "upload"),
        (".hidden.txt", "hidden.txt"),
        ("Новости дня.txt", "Новости дня.txt"),
        ("東京 ニュース.md", "東京 ニュース.md"),
        ("a<b>:c|d?*.txt", "a_b__c_d__.txt"),
        ("line\nbreak\x00.txt", "line_break_.txt"),
        ("trailing dots...", "trailing dots"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_safe_name__long_names_are_shortened_keeping_the_suffix():
    name = safe_name("x" * 500 + ".txt")
    assert name.endswith(".txt") and len(name) <= 110


def test_is_supported():
    assert all(is_supported(n) for n in ["a.txt", "b.MD", "c.html", "d.htm", "e.jsonl", "../f.txt"])
    assert not any(is_supported(n) for n in ["a.pdf", "b", "c.txt.exe", "passwd"])


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "/abs/path.txt", "a/b/../c.md", "..", "\\\\server\\share\\x.txt"])
def test_save_upload__stays_inside_the_folder(tmp_path, name):
    source = tmp_path / "incoming"
    source.write_text("hello", encoding="utf-8")
    folder = tmp_path / "data" / "uploads"
    saved = save_upload(source, folder, name)
    assert saved.parent == folder.resolve() and saved.read_text(encoding="utf-8") == "hello"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(["incoming", saved.name])


def test_save_upload__different_content_never_overwrites(tmp_path):
    folder = tmp_path / "uploads"
    names = []
    for i, text in enumerate(["first", "second", "third"]):
        source = tmp_path / f"src{i}"
        source.write_text(text, encoding="utf-8")
        names.append(save_upload(source, folder, "news.txt").name)
    assert names == ["news.txt", "news-1.txt", "news-2.txt"]
    assert [(folder / n).read_text(encoding="utf-8") for n in names] == ["first", "second", "third"]


def test_save_upload__the_same_file_again_is_reused(tmp_path):
    source = tmp_path / "src"
    source.write_text("same", encoding="utf-8")
    folder = tmp_path / "uploads"
    assert save_upload(source, folder, "a.txt") == save_upload(source, folder, "a.txt")
    assert len(list(folder.iterdir())) == 1


def test_save_upload__does_not_follow_a_planted_symlink(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    target = tmp_path / "outside.txt"
    target.write_text("keep me", encoding="utf-8")
    (folder / "a.txt").symlink_to(target)
    source = tmp_path / "src"
    source.write_text("new", encoding="utf-8")
    saved = save_upload(source, folder, "a.txt")
    assert saved.name == "a-1.txt" and target.read_text(encoding="utf-8") == "keep me"


def test_upload__progress_moves_inside_one_long_article(tmp_path, fake_embedder, monkeypatch):
    import ingest.pipeline
    import rag
    from ui.app import ChatHandlers

    monkeypatch.setattr(ingest.pipeline, "EMBED_SLICE", 3)  # a few passages per step, as a long upload's 256
    settings = rag.Settings(_env_file=None, data_dir=tmp_path / "index", ui_uploads=True)
    handlers = ChatHandlers(rag.Assistant(settings, embedder=fake_embedder), settings, reveal_delay=0)
    upload = tmp_path / "report.txt"
    upload.write_text(" ".join(f"On day {i} the harbour council met again to vote." for i in range(400)), encoding="utf-8")
    shown: list[tuple[float, str]] = []

    message, _, _ = handlers.upload([str(upload)], [], progress=lambda fraction, desc: shown.append((fraction, desc)))

    assert "report.txt" in message and "Added" in message, message
    fractions = [fraction for fraction, _ in shown]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len([f for f in fractions if 0 < f < 1]) >= 3, shown  # it moved while its one article was embedded
    assert shown[0][1] == "Indexing: 0 of 1 articles done" and shown[-1][1] == "Indexing: 1 of 1 articles done"
