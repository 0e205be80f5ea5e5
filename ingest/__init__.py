"""Turning folders of news articles into a searchable index."""

from ingest.chunking import chunk_text
from ingest.clean import CleanArticle, clean_article
from ingest.html import HtmlArticle, extract_html
from ingest.identity import Identified, Renamed
from ingest.loaders import FileProblem, SourceFile, discover, load_articles
from ingest.pipeline import ingest_paths, passage_for_embedding
from ingest.remove import RemoveReport, remove_documents
from ingest.report import Duplicate, IngestReport, Replaced

__all__ = [
    "CleanArticle",
    "Duplicate",
    "FileProblem",
    "HtmlArticle",
    "Identified",
    "IngestReport",
    "RemoveReport",
    "Renamed",
    "Replaced",
    "SourceFile",
    "chunk_text",
    "clean_article",
    "discover",
    "extract_html",
    "ingest_paths",
    "load_articles",
    "passage_for_embedding",
    "remove_documents",
]
