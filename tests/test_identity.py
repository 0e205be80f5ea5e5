"""Document identity: a document is its source, so no other file, JSON line or upload can
overwrite or delete it by sharing its name or its text (real Chroma, fake embedder)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import Duplicate, ingest_paths
from ingest.identity import Renamed, file_names
from ingest.remove import remove_documents
from rag.cli import main
from rag.errors import InvalidInputError
from tests.helpers import assert_consistent, copy_seeds, open_store

ARTICLE_A = "Alpha Council Votes on Budget\n\nThe alpha council approved a budget of 12 million dollars on Monday.\n"
ARTICLE_B = "Bravo Port Reopens\n\nThe bravo port reopened after a storm closed it for nine days.\n"
ARTICLE_C = "Charlie Rail Strike Ends\n\nTrain drivers in charlie ended a strike that lasted three weeks.\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def texts(settings, embedder) -> dict[str, str]:
    store = open_store(settings, embedder.name)
    assert_consistent(store)
    return {doc_id: store.get_document(doc_id).text for doc_id in store.stored_documents()}


def ingest(paths, settings, embedder, **kwargs):
    return ingest_paths([Path(p) for p in paths], settings, embedder=embedder, **kwargs)


@pytest.fixture
def cli_embedder(monkeypatch):
    """A fake under the bundled model's name, which the `rag` commands build and check."""
    import ingest.pipeline
    from rag.config import Settings
    from rag.index.embeddings import embedder_name
    from tests.fakes import FakeEmbedder

    fake = FakeEmbedder(name=embedder_name(Settings(_env_file=None)))
    monkeypatch.setattr(ingest.pipeline, "build_embedder", lambda settings: fake)
    return fake


# -- case 1: names collide, sources do not ----------------------------------------------------


def test_same_file_name_in_two_folders__the_second_is_added_never_over_the_first(tmp_path, settings, fake_embedder):
    a = write(tmp_path / "a" / "report.txt", ARTICLE_A)
    b = write(tmp_path / "b" / "report.txt", ARTICLE_B)

    first = ingest([a], settings, fake_embedder)
    second = ingest([b], settings, fake_embedder)

    assert first.new == ("report.txt",)
    assert second.new == ("b/report.txt",) and second.updated == ()
    assert second.renamed == (Renamed("b/report.txt", "report.txt", str(a.resolve())),)
    stored = texts(settings, fake_embedder)
    assert "alpha council" in stored["report.txt"] and "bravo port" in stored["b/report.txt"]


def test_two_folders_with_the_same_name__both_are_kept(tmp_path, settings, fake_embedder):
    write(tmp_path / "x" / "news" / "story.txt", ARTICLE_A)
    write(tmp_path / "y" / "news" / "story.txt", ARTICLE_B)

    ingest([tmp_path / "x" / "news"], settings, fake_embedder)
    report = ingest([tmp_path / "y" / "news"], settings, fake_embedder)

    assert report.new == ("y/news/story.txt",) and report.updated == ()
    stored = texts(settings, fake_embedder)
    assert set(stored) == {"news/story.txt", "y/news/story.txt"}
    assert "alpha council" in stored["news/story.txt"]


def test_the_same_file_again__is_an_update_whatever_it_is_called(tmp_path, settings, fake_embedder):
    path = write(tmp_path / "news" / "story.txt", ARTICLE_A)
    ingest([tmp_path / "news"], settings, fake_embedder)
    write(path, ARTICLE_A + "\nA correction was added later.\n")

    by_file = ingest([path], settings, fake_embedder)  # named directly this time: same source

    assert by_file.updated == ("news/story.txt",) and by_file.new == ()
    assert "correction" in texts(settings, fake_embedder)["news/story.txt"]


def test_a_json_line_id_equal_to_a_file_id__does_not_replace_the_file(tmp_path, settings, fake_embedder):
    write(tmp_path / "report.txt", ARTICLE_A)
    feed = write(tmp_path / "feeds" / "feed.jsonl", json.dumps({"id": "report.txt", "text": ARTICLE_B}) + "\n")
    ingest([tmp_path / "report.txt"], settings, fake_embedder)

    report = ingest([feed], settings, fake_embedder)

    assert report.new == ("feed.jsonl#report.txt",) and report.updated == ()
    stored = texts(settings, fake_embedder)
    assert "alpha council" in stored["report.txt"] and "bravo port" in stored["feed.jsonl#report.txt"]


def test_the_same_json_ids_in_two_feeds__are_two_documents(tmp_path, settings, fake_embedder):
    one = write(tmp_path / "one.jsonl", json.dumps({"id": 1, "text": ARTICLE_A}) + "\n")
    two = write(tmp_path / "two.jsonl", json.dumps({"id": 1, "text": ARTICLE_B}) + "\n")

    ingest([one], settings, fake_embedder)
    report = ingest([two], settings, fake_embedder)

    assert report.new == ("two.jsonl#1",)
    assert set(texts(settings, fake_embedder)) == {"1", "two.jsonl#1"}
    again = ingest([one, two], settings, fake_embedder)  # each line stays its own document
    assert sorted(again.unchanged) == ["1", "two.jsonl#1"] and again.new == again.updated == ()


def test_replace__is_the_explicit_way_to_take_over_a_name(tmp_path, settings, fake_embedder):
    a = write(tmp_path / "a" / "report.txt", ARTICLE_A)
    b = write(tmp_path / "b" / "report.txt", ARTICLE_B)
    ingest([a], settings, fake_embedder)

    report = ingest([b], settings, fake_embedder, replace=True)

    assert report.updated == ("report.txt",) and report.new == ()
    assert [r.previous_source for r in report.replaced] == [str(a.resolve())]
    stored = texts(settings, fake_embedder)
    assert set(stored) == {"report.txt"} and "bravo port" in stored["report.txt"]
    assert ingest([b], settings, fake_embedder).unchanged == ("report.txt",)  # b owns it now


def test_a_moved_folder__keeps_its_ids_and_is_not_re_embedded(tmp_path, settings, fake_embedder):
    old = tmp_path / "old" / "news"
    write(old / "one.txt", ARTICLE_A)
    write(old / "two.txt", ARTICLE_B)
    ingest([old], settings, fake_embedder)
    new = tmp_path / "new" / "news"
    new.parent.mkdir()
    old.rename(new)
    fake_embedder.embedded.clear()

    report = ingest([new], settings, fake_embedder)

    assert sorted(report.moved) == ["news/one.txt", "news/two.txt"] and report.new == ()
    assert fake_embedder.embedded == []
    store = open_store(settings, fake_embedder.name)
    assert_consistent(store)
    assert {d.source_file for d in store.stored_documents().values()} == {
        str((new / "one.txt").resolve()), str((new / "two.txt").resolve())}
    for chunk in store.iter_chunks():
        assert Path(str(chunk.metadata["source_file"])).parent == new.resolve()
    assert ingest([new], settings, fake_embedder).unchanged == ("news/one.txt", "news/two.txt")


def test_a_gone_file_with_other_text_under_the_same_name__is_not_overwritten(tmp_path, settings, fake_embedder):
    a = write(tmp_path / "a" / "report.txt", ARTICLE_A)
    ingest([a], settings, fake_embedder)
    a.unlink()  # the index now holds the only copy
    b = write(tmp_path / "b" / "report.txt", ARTICLE_B)

    report = ingest([b], settings, fake_embedder)

    assert report.new == ("b/report.txt",)
    assert "alpha council" in texts(settings, fake_embedder)["report.txt"]


def test_an_index_written_before_source_keys__keeps_its_ids_and_gets_keys(tmp_path, settings, fake_embedder):
    articles = tmp_path / "articles"
    copy_seeds(articles)
    ingest([articles], settings, fake_embedder)
    store = open_store(settings, fake_embedder.name)
    before = store.stored_documents()
    # What an older version wrote: the same records without `source_key`.
    store._docs.update(ids=list(before), metadatas=[{"source_key": None}] * len(before))
    assert not any(d.source_key for d in store.stored_documents().values())
    other = write(tmp_path / "elsewhere" / "articles" / next(iter(before)).split("/", 1)[1], ARTICLE_C)
    fake_embedder.embedded.clear()

    again = ingest([articles], settings, fake_embedder)
    assert sorted(again.unchanged) == sorted(before) and fake_embedder.embedded == []
    collision = ingest([other], settings, fake_embedder)

    assert all(d.source_key for d in open_store(settings, fake_embedder.name).stored_documents().values())
    assert collision.new == (other.name,) and collision.updated == ()
    assert set(texts(settings, fake_embedder)) == {*before, other.name}


def test_file_names__grow_by_the_folders_above():
    assert file_names("report.txt", Path("/srv/x/b/report.txt")) == (
        "report.txt", "b/report.txt", "x/b/report.txt", "srv/x/b/report.txt")
    assert file_names("news/a.txt", Path("/y/news/a.txt")) == ("news/a.txt", "y/news/a.txt")


# -- case 2: deduplication skips new copies and never removes ---------------------------------


def test_a_json_copy_carrying_an_existing_id__is_skipped_and_the_existing_document_kept(tmp_path, settings, fake_embedder):
    write(tmp_path / "report.txt", ARTICLE_A)
    ingest([tmp_path / "report.txt"], settings, fake_embedder)
    feed = write(tmp_path / "feed.jsonl", "\n".join([
        json.dumps({"id": "fresh", "text": ARTICLE_B}),
        json.dumps({"id": "report.txt", "text": ARTICLE_B}),
    ]) + "\n")

    report = ingest([feed], settings, fake_embedder)

    assert report.new == ("fresh",)
    assert report.duplicates == (Duplicate("report.txt", "fresh"),)
    assert "alpha council" in texts(settings, fake_embedder)["report.txt"]


def test_a_file_edited_to_equal_another__is_updated_and_the_other_kept(tmp_path, settings, fake_embedder):
    one = write(tmp_path / "news" / "one.txt", ARTICLE_A)
    write(tmp_path / "news" / "two.txt", ARTICLE_B)
    ingest([tmp_path / "news"], settings, fake_embedder)
    write(one, ARTICLE_B)

    report = ingest([tmp_path / "news"], settings, fake_embedder)

    assert report.updated == ("news/one.txt",) and report.duplicates == ()
    stored = texts(settings, fake_embedder)
    assert set(stored) == {"news/one.txt", "news/two.txt"}
    assert "bravo port" in stored["news/one.txt"] and "bravo port" in stored["news/two.txt"]


def test_a_new_copy_of_an_indexed_text__names_the_document_it_duplicates(tmp_path, settings, cli_embedder):
    write(tmp_path / "a" / "story.txt", ARTICLE_A)
    ingest([tmp_path / "a"], settings, cli_embedder)
    write(tmp_path / "b" / "copy.txt", ARTICLE_A)

    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "b"), "--data-dir", str(settings.data_dir), "-q"])

    assert result.exit_code == 0, result.output
    assert "skipped b/copy.txt: same text as a/story.txt" in result.output


# -- add-only ingests (uploads) and explicit removal ------------------------------------------


def test_add_only__never_updates_and_names_files_in_its_namespace(tmp_path, settings, fake_embedder):
    upload = write(tmp_path / "uploads" / "report.txt", ARTICLE_A)
    first = ingest([upload], settings, fake_embedder, add_only=True, namespace="uploads")
    write(upload, ARTICLE_B)  # the same saved file, changed behind the UI's back

    second = ingest([upload], settings, fake_embedder, add_only=True, namespace="uploads")

    assert first.new == ("uploads/report.txt",)
    assert second.updated == () and second.failed == 1
    assert "never replaces" in second.problems[0].message
    assert "alpha council" in texts(settings, fake_embedder)["uploads/report.txt"]
    with pytest.raises(InvalidInputError, match="add_only"):
        ingest([upload], settings, fake_embedder, add_only=True, prune=True)


def test_add_only__a_json_id_is_qualified_by_its_file(tmp_path, settings, fake_embedder):
    write(tmp_path / "report.txt", ARTICLE_A)
    ingest([tmp_path / "report.txt"], settings, fake_embedder)
    feed = write(tmp_path / "uploads" / "feed.jsonl", json.dumps({"id": "report.txt", "text": ARTICLE_B}) + "\n")

    report = ingest([feed], settings, fake_embedder, add_only=True, namespace="uploads")

    assert report.new == ("uploads/feed.jsonl#report.txt",)
    assert "alpha council" in texts(settings, fake_embedder)["report.txt"]


def test_max_new_chars__refuses_before_anything_is_written(tmp_path, settings, fake_embedder):
    folder = tmp_path / "big"
    write(folder / "one.txt", ARTICLE_A)
    write(folder / "two.txt", ARTICLE_B)
    with pytest.raises(InvalidInputError, match=r"characters of new article text; the limit is 100\b"):
        ingest([folder], settings, fake_embedder, max_new_chars=100)
    assert fake_embedder.embedded == []
    assert ingest([folder], settings, fake_embedder, max_new_chars=10_000).new == ("big/one.txt", "big/two.txt")


def test_remove__removes_only_what_was_named(tmp_path, settings, fake_embedder):
    write(tmp_path / "news" / "one.txt", ARTICLE_A)
    write(tmp_path / "news" / "two.txt", ARTICLE_B)
    ingest([tmp_path / "news"], settings, fake_embedder)

    report = remove_documents(["news/one.txt", "nope"], settings, model_name=fake_embedder.name)

    assert report.removed == ("news/one.txt",) and report.not_found == ("nope",)
    assert set(texts(settings, fake_embedder)) == {"news/two.txt"}
    with pytest.raises(InvalidInputError):
        remove_documents("news/two.txt", settings)


def test_rag_remove__cli(tmp_path, settings, cli_embedder):
    write(tmp_path / "news" / "one.txt", ARTICLE_A)
    ingest([tmp_path / "news"], settings, cli_embedder)
    runner = CliRunner()

    missing = runner.invoke(main, ["remove", "news/two.txt", "--data-dir", str(settings.data_dir)])
    removed = runner.invoke(main, ["remove", "news/one.txt", "--data-dir", str(settings.data_dir)])

    assert missing.exit_code == 1 and "not found: news/two.txt" in missing.output
    assert removed.exit_code == 0 and "1 removed, 0 not found; index holds 0 documents" in removed.output


# -- links ------------------------------------------------------------------------------------


@pytest.fixture
def linked_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    write(tree / "real.txt", ARTICLE_A)
    outside = write(tmp_path / "secret" / "passwd.txt", ARTICLE_B)
    (tree / "link-out.txt").symlink_to(outside)
    (tree / "dir-out").symlink_to(outside.parent, target_is_directory=True)
    (tree / "link-in.txt").symlink_to(tree / "real.txt")
    (tree / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (tree / "loop").symlink_to(tree, target_is_directory=True)
    return tree


def test_links_out_of_the_folder_are_not_followed_and_broken_ones_reported(linked_tree, settings, fake_embedder):
    report = ingest([linked_tree], settings, fake_embedder)

    assert report.new == ("tree/real.txt",)
    messages = {Path(p.path).name: p.message for p in report.problems}
    assert set(messages) == {"link-out.txt", "dir-out", "dangling.txt"}
    assert "outside the folder: not followed (use --follow-links" in messages["link-out.txt"]
    assert "outside the folder" in messages["dir-out"]
    assert messages["dangling.txt"].startswith("broken link (to ")
    assert set(texts(settings, fake_embedder)) == {"tree/real.txt"}


def test_follow_links__includes_what_links_lead_to_and_ends_a_loop(linked_tree, settings, fake_embedder):
    report = ingest([linked_tree], settings, fake_embedder, follow_links=True)

    assert sorted(report.new) == ["tree/dir-out/passwd.txt", "tree/real.txt"]
    assert [Path(p.path).name for p in report.problems] == ["dangling.txt"]


def test_rag_ingest__follow_links_option(linked_tree, settings, cli_embedder):
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(linked_tree), "--data-dir", str(settings.data_dir), "-q"])
    assert result.exit_code == 1 and "use --follow-links" in result.output
    assert os.path.islink(linked_tree / "link-out.txt")


def test_copying_a_tree__keeps_the_index_of_the_original(tmp_path, settings, fake_embedder):
    articles = tmp_path / "articles"
    copy_seeds(articles)
    ingest([articles], settings, fake_embedder)
    copy = tmp_path / "backup" / "articles"
    shutil.copytree(articles, copy)

    report = ingest([copy], settings, fake_embedder)

    assert report.new == () and len(report.duplicates) == 2
    assert {d.same_as for d in report.duplicates} == {f"articles/{p.name}" for p in articles.iterdir()}


def test_rag_ingest__says_when_an_id_was_taken_and_what_replace_does(tmp_path, settings, cli_embedder):
    a = write(tmp_path / "a" / "report.txt", ARTICLE_A)
    b = write(tmp_path / "b" / "report.txt", ARTICLE_B)
    runner = CliRunner()
    data = ["--data-dir", str(settings.data_dir), "-q"]
    assert runner.invoke(main, ["ingest", str(a), *data]).exit_code == 0

    renamed = runner.invoke(main, ["ingest", str(b), *data])
    replaced = runner.invoke(main, ["ingest", str(b), "--replace", *data])

    assert renamed.exit_code == 0, renamed.output
    assert (f"note: report.txt already names the document from {a.resolve()}; indexed as b/report.txt "
            "(--replace would replace that document instead)") in renamed.output
    assert "1 new, 0 updated" in renamed.output
    # b is indexed already (as b/report.txt): --replace changes nothing for it now.
    assert replaced.exit_code == 0 and "0 new, 0 updated, 1 unchanged" in replaced.output
