"""What an ingest run did, for the CLI summary and for callers.

The types live in `rag.types` (`Assistant.add` returns an `IngestReport` too, and `rag`
imports nothing from `ingest`); they are the same classes under these names.
"""

from __future__ import annotations

from rag.types import Duplicate, IngestReport, Replaced

__all__ = ["Duplicate", "IngestReport", "Replaced"]
