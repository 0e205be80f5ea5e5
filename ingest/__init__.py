"""Turning folders of news articles into a searchable index."""

from ingest.chunking import chunk_text
from ingest.clean import CleanArticle, clean_article
from ingest.html import HtmlArticle, extract_html
from ingest.loaders import FileProblem, SourceFile, discover, load_articles
from ingest.pipeline import ingest_paths, passage_for_embedding
from ingest.report import Duplicate, IngestReport

__all__ = [
    "CleanArticle",
    "Duplicate",
    "FileProblem",
    "HtmlArticle",
    "IngestReport",
    "SourceFile",
    "chunk_text",
    "clean_article",
    "discover",
    "extract_html",
    "ingest_paths",
    "load_articles",
    "passage_for_embedding",
]
