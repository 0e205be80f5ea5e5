"""The demo articles: the one home of when they come, when they stay and when they leave.

- **They come** only into an empty index, so a first `rag ask` (or the chat UI) has something
  to answer from: `ingest.seeding.ingest_seeds` is the `rag.bootstrap` plugin the assistant calls. The
  documents it adds are recorded in the index as the demo (`IndexStore.demo_documents`).
- **They leave** by themselves, in the same locked ingest run, as soon as the index holds an
  article of the user's own (`settle_demo`, called by every ingest: `rag ingest`, `rag.add`, a
  chat-UI upload). A user's index therefore never keeps the demo articles unless asked.
- **They stay** when asked for: `rag demo` (or any ingest that names their files, or a copy
  of them) makes them ordinary documents, which only `rag remove` or `rag demo --remove` take out.

Recording the list is crash-safe in the direction that matters: the list is written after
the articles it names (a crash in between leaves them unlisted, i.e. kept, never lost), and
removed articles are deleted before the list is cleared (a stale entry names nothing stored).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ingest.plan import Plan
from rag.index.store import IndexStore
from rag.seeds import seeds_dir

logger = logging.getLogger(__name__)


def settle_demo(store: IndexStore, plan: Plan, *, as_demo: bool) -> tuple[str, ...]:
    """After an ingest run has written `plan`: record the demo, or let it go. The doc ids removed.

    A run that indexes the demo (`as_demo`) lists the documents it added. Any other run
    first takes the demo articles it names (their files, a moved or duplicate copy) off the
    list: the user asked for them. If the index then holds any document of the user's, the
    listed demo articles are removed and the list cleared; otherwise they stay listed.
    """
    listed = store.demo_documents()
    if as_demo:
        if plan.new:
            store.set_demo_documents(listed | set(plan.new))
        return ()
    if not listed:
        return ()
    claimed = listed & (plan.doc_ids | {d.same_as for d in plan.duplicates})
    stored = set(store.stored_documents())
    demo = (listed - claimed) & stored
    if not stored - demo:  # nothing of the user's yet (say, every file failed): keep the demo
        if claimed:
            store.set_demo_documents(listed - claimed)
        return ()
    for doc_id in sorted(demo):
        store.delete_document(doc_id)
        logger.info("Removed the demo article %s: the index holds your own articles now", doc_id)
    store.set_demo_documents(())
    return tuple(sorted(demo))


def demo_doc_ids(store: IndexStore) -> list[str]:
    """Every stored document that is a demo article: those listed as the demo, and those a
    user indexed from the demo folder (by `rag demo`, or before the demo was listed)."""
    stored = store.stored_documents()
    folder = seeds_dir().resolve()
    names = {f"{folder.name}/{p.name}" for p in folder.glob("*.txt")}
    listed = store.demo_documents()
    return sorted(
        doc_id for doc_id, record in stored.items()
        if doc_id in listed or doc_id in names
        or (record.source_file and _inside(Path(record.source_file), folder))
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder)
    except OSError:
        return False
