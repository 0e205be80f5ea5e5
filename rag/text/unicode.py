"""Text from outside: refusing strings that are not valid Unicode, and showing any text on one line.

On Linux, command-line arguments and file names that are not UTF-8 reach Python as
"surrogate escapes" (the byte 0xFF becomes U+DCFF). Such a string cannot be encoded,
so the tokenizer, Chroma or a terminal would fail on it far from where it came in:
`require_unicode` stops it at the door with a message that says what is wrong.
"""

from __future__ import annotations

import unicodedata

from rag.errors import InvalidInputError

# One-letter escapes people recognise; every other invisible character is shown as \xNN / \uNNNN.
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control, format (zero-width, bidi), surrogate, line/paragraph separator: never shown raw.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def surrogate_at(text: str) -> int | None:
    """The index of the first lone surrogate in `text`, or None when it is valid Unicode."""
    try:
        text.encode("utf-8")  # fails on surrogates and only on them
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def require_unicode(value: object, what: str) -> str:
    """`value` itself when it is a valid Unicode string; otherwise InvalidInputError naming `what`
    (for example "The question" or "history item 2's answer") and what to do about it."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be text, not {type(value).__name__}.")
    index = surrogate_at(value)
    if index is not None:
        raise InvalidInputError(
            f"{what} is not valid Unicode: character {index + 1} is {_describe_surrogate(value[index])}. "
            "Send it as UTF-8 text (for a terminal, set its encoding to UTF-8) and try again."
        )
    return value


def printable(text: str) -> str:
    """`text` with control, format and other invisible characters escaped (`\\n`, `\\u202e`),
    so a name shown in a one-line report cannot start a new line or reorder the line."""
    return "".join(_escape(char) if unicodedata.category(char) in _HIDDEN_CATEGORIES else char for char in text)


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _describe_surrogate(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # how Python carries a byte that is not UTF-8 (surrogateescape)
        return f"the byte 0x{code - 0xDC00:02X}, which is not UTF-8"
    return f"a lone surrogate (U+{code:04X})"
