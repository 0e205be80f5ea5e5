"""Every error this project raises on purpose, under one base class.

    RagError
    ├── ConfigurationError    settings are invalid or contradict each other
    ├── ModelError            the embedding model cannot be loaded
    │   └── ModelIntegrityError   its weights are not the ones we expect
    ├── StoreError            the index cannot be opened, read or written
    │   ├── IndexMismatchError    the index was built with another embedding model
    │   ├── IndexLockedError      another process is writing to the same index
    │   ├── ChromaUnavailableError the configured Chroma server does not answer
    │   └── EmptyIndexError       there is nothing indexed to answer from
    ├── LLMError              the language model service failed (after retries)
    │   └── LLMReplyCutError      the reply reached the output cap (RAG_LLM_MAX_TOKENS)
    ├── DocumentNotFoundError no document has the requested doc_id
    └── InvalidInputError     an argument given by the caller is not usable
        └── InputTooLargeError    it is over a configured size limit

Messages say what to do next; callers branch on the class, never on the text.
"""


class RagError(Exception):
    """Base class of all errors raised on purpose by `rag`, `ingest`, `ui` and `eval`."""


class ConfigurationError(RagError):
    """A setting is missing, malformed or contradicts another."""


class ModelError(RagError):
    """The embedding model could not be found or loaded."""


class ModelIntegrityError(ModelError):
    """The model's weights do not match the checksum we ship with."""


class StoreError(RagError):
    """The index could not be opened, read or written."""


class IndexMismatchError(StoreError):
    """The index on disk was built with a different embedding model."""


class IndexLockedError(StoreError):
    """Another process holds the write lock on this index."""


class ChromaUnavailableError(StoreError):
    """The configured Chroma server does not answer (down, restarting, wrong host or port)."""


class EmptyIndexError(StoreError):
    """The index holds no documents, and none could be added automatically."""


class LLMError(RagError):
    """The OpenAI-compatible service could not give an answer, even after retries."""


class LLMReplyCutError(LLMError):
    """The model's reply reached the output cap and was cut; `partial` is what arrived
    (for a stream: after it was yielded), so a caller may keep its complete sentences."""

    def __init__(self, message: str, partial: str) -> None:
        super().__init__(message)
        self.partial = partial


class InvalidInputError(RagError, ValueError):
    """An argument passed by the caller is not usable (empty, too long, wrong type)."""


class InputTooLargeError(InvalidInputError):
    """An input is over a configured size limit (for example one upload's text)."""


class DocumentNotFoundError(RagError, KeyError):
    """No document with the requested doc_id is indexed."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""
