"""The bytes of an article file as text: UTF-8, UTF-16/UTF-32 when a byte-order mark says so,
else Windows-1252 when the bytes read as Western text in it.

Windows-1252 is the one legacy encoding assumed (old Windows editors and CMS exports of
English and Western European news); the result says so (`Decoded.assumed`). Anything
else is refused with a message that says what the file looks like and what to do, rather
than guessed at: a wrong guess would index garbage that no question matches.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

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


# Windows-1252 is accepted only when it reads as Western text: C0 controls other than
# whitespace mean binary, and a text whose letters are mostly non-ASCII is more likely
# Cyrillic, Greek, ... in another single-byte code page (every byte is a cp1252 letter).
_LEGACY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LEGACY_MAX_FOREIGN_LETTERS = 0.4
# UTF-8 of U+00C0..U+00FF and of U+2010..U+203F (quotes, dashes): a file holding these next
# to invalid UTF-8 mixes two encodings, and cp1252 would turn them into mojibake ("â€™").
_UTF8_TRACES = re.compile(rb"\xc3[\x80-\xbf]|\xe2\x80[\x90-\xbf]")
WINDOWS_1252 = "cp1252"
ENCODING_NAMES = {WINDOWS_1252: "Windows-1252"}


class UndecodableError(ValueError):
    """The bytes are not text this project reads; the message says why and what to do."""


@dataclass(frozen=True)
class Decoded:
    """Text and the Python codec it was decoded with ("utf-8", "utf-16-le", "cp1252", ...)."""

    text: str
    encoding: str

    @property
    def assumed(self) -> str | None:
        """The encoding's name when it was inferred rather than read from the file
        (no byte-order mark, not UTF-8): "Windows-1252"; else None."""
        return ENCODING_NAMES.get(self.encoding)


def decode_text(data: bytes) -> str:
    """`data` decoded as `decode_bytes` does it."""
    return decode_bytes(data).text


def decode_bytes(data: bytes) -> Decoded:
    """`data` decoded: by its byte-order mark if it has one, otherwise as strict UTF-8,
    otherwise as Windows-1252 if it reads as Western text in it."""
    for mark, codec, name in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return Decoded(_decode(data[len(mark):], codec, name, offset=len(mark)), codec)
    sample = data[:SNIFF_BYTES]
    if b"\0" in sample:
        wide = _utf16_without_mark(sample)
        if wide:
            raise UndecodableError(
                f"looks like UTF-16 ({wide}) without a byte-order mark: re-save it as UTF-8"
            )
        raise UndecodableError("binary file, not text")
    try:
        return Decoded(_decode(data, "utf-8", "UTF-8", offset=0), "utf-8")
    except UndecodableError as exc:
        if not isinstance(exc.__cause__, UnicodeDecodeError):
            raise
        return Decoded(_windows_1252(data, exc.__cause__.start), WINDOWS_1252)


def _windows_1252(data: bytes, bad: int) -> str:
    """`data`, which is not UTF-8 (first at byte `bad`), as Windows-1252 text, or refused."""
    advice = "re-save the file as UTF-8"
    if _UTF8_TRACES.search(data):
        raise UndecodableError(
            f"mixes UTF-8 with another encoding (byte {bad} is not UTF-8): {advice}")
    try:
        text = data.decode(WINDOWS_1252)
    except UnicodeDecodeError as exc:
        # Bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D mean nothing in cp1252; as Latin-1 they are
        # control characters, never text, so no Latin-1 fallback.
        raise UndecodableError(
            f"not valid UTF-8 (byte {bad}) nor Windows-1252 (byte {exc.start}): {advice}") from exc
    if _LEGACY_CONTROLS.search(text[:SNIFF_BYTES]):
        raise UndecodableError("binary file, not text")
    letters = [c for c in text if c.isalpha()]
    foreign = sum(not c.isascii() for c in letters)
    if foreign > _LEGACY_MAX_FOREIGN_LETTERS * len(letters):
        raise UndecodableError(
            f"not valid UTF-8 (byte {bad}), and as Windows-1252 most of its letters would be "
            f"accented: another legacy encoding (Cyrillic, Greek, ...)? {advice}")
    return text


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
