"""The bytes of an article file as text: UTF-8, or UTF-16/UTF-32 when a byte-order mark says so.

Anything else is refused with a message that says what the file looks like and what to
do, rather than guessed at: a wrong guess would index garbage that no question matches.
"""

from __future__ import annotations

import codecs

SNIFF_BYTES = 8192
# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# Mostly-ASCII UTF-16 has a NUL in every other byte; allow a few on the other side
# (U+4E00, U+3000 and friends have a zero byte too).
_WIDE_SHARE = 0.5
_STRAY_SHARE = 0.05


class UndecodableError(ValueError):
    """The bytes are not text this project reads; the message says why and what to do."""


def decode_text(data: bytes) -> str:
    """`data` decoded: by its byte-order mark if it has one, otherwise as strict UTF-8."""
    for mark, codec, name in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decode(data[len(mark):], codec, name, offset=len(mark))
    sample = data[:SNIFF_BYTES]
    if b"\0" in sample:
        wide = _utf16_without_mark(sample)
        if wide:
            raise UndecodableError(
                f"looks like UTF-16 ({wide}) without a byte-order mark: re-save it as UTF-8"
            )
        raise UndecodableError("binary file, not text")
    return _decode(data, "utf-8", "UTF-8", offset=0)


def _decode(body: bytes, codec: str, name: str, offset: int) -> str:
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        where = exc.start + offset
        if name == "UTF-8":
            raise UndecodableError(f"not valid UTF-8 (byte {where}): re-save the file as UTF-8") from exc
        raise UndecodableError(  # a wide byte-order mark may also be two stray bytes of another encoding
            f"not valid UTF-8 or {name} (it starts with a {name} byte-order mark, but byte {where} "
            "does not fit): re-save the file as UTF-8"
        ) from exc
    if "\0" in text[:SNIFF_BYTES]:
        raise UndecodableError("binary file, not text")
    return text


def _utf16_without_mark(sample: bytes) -> str | None:
    """'little-endian' or 'big-endian' when the NUL bytes fall where UTF-16 of mostly-ASCII
    text puts them, else None."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : 2 * pairs : 2].count(0) / pairs
    odd = sample[1 : 2 * pairs : 2].count(0) / pairs
    if odd >= _WIDE_SHARE and even <= _STRAY_SHARE:
        return "little-endian"
    if even >= _WIDE_SHARE and odd <= _STRAY_SHARE:
        return "big-endian"
    return None
