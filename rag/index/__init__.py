"""The index: Chroma (vectors and documents), BM25, the embedding model, locks and leases.

The layer `ingest` writes through and retrieval reads from. It imports nothing from
`rag.answer` or `rag.llm`.
"""
