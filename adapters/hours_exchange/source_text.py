"""An import file as UTF-8 text that can be read more than once, within the byte limit.

Readers accept ``bytes`` (an HTTP body), a binary stream (a file opened with ``"rb"``, standard
input) or a text stream. Bytes and seekable binary streams are read in place; anything else is
copied once into a spooled temporary file (memory up to 8 MiB, then disk), so that the Clockify
reader can look at the dates in a first pass and read the rows in a second one.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TextIO

from hours_core.exchange import ImportData
from hours_exchange.errors import ImportFileTooLarge, ImportFileUnreadable

__all__ = ["CSV_ADVICE", "JSON_LINES_ADVICE", "ImportData", "SourceText", "refuse_utf16"]

CSV_ADVICE = "export it again, or save it as 'CSV UTF-8'"
"""What to do with a CSV file that is not UTF-8 (a spreadsheet's 'CSV' is often Windows-1252)."""

JSON_LINES_ADVICE = "an hours JSON lines export is UTF-8: export it from hours again, or save it as UTF-8"
"""What to do with a JSON lines file that is not UTF-8 (JSON text is UTF-8, RFC 8259)."""


def refuse_utf16(line: str, advice: str, *, row: int) -> None:
    """Raise :class:`ImportFileUnreadable` (ending with ``advice``) when ``line``, the file's first
    line of text, is a third or more NUL characters: UTF-16 text without a byte order mark, which
    reads as UTF-8 when it is ASCII, a NUL beside each letter (``U\\x00s\\x00e\\x00r\\x00``). The
    file is then told what it is, instead of its columns or lines being refused one by one."""
    if line.count("\x00") * 3 >= len(line):
        raise ImportFileUnreadable(
            f"The first line holds NUL characters: the file is probably UTF-16 text, not UTF-8; {advice}.",
            row=row,
        )


_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


class _LimitedReader(io.RawIOBase):
    """A binary stream that refuses to read past ``max_bytes``."""

    def __init__(self, raw: IO[bytes], max_bytes: int) -> None:
        self._raw = raw
        self._max_bytes = max_bytes
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        if not data:
            return 0
        self._count += len(data)
        if self._count > self._max_bytes:
            raise _too_large(self._max_bytes)
        buffer[: len(data)] = data
        return len(data)


def _too_large(max_bytes: int) -> ImportFileTooLarge:
    return ImportFileTooLarge(
        f"The file is larger than the limit of {max_bytes:,} bytes; split it by date range."
    )


class SourceText:
    """The file's text, opened afresh by each :meth:`open` (``utf-8-sig``: a leading BOM is dropped).

    ``not_utf8_advice`` ends the message of a file that is not UTF-8: how to save this kind of
    file again (:data:`CSV_ADVICE`, :data:`JSON_LINES_ADVICE`).
    """

    def __init__(self, data: ImportData, max_bytes: int, *, not_utf8_advice: str) -> None:
        self._max_bytes = max_bytes
        self._advice = not_utf8_advice
        self._bytes: bytes | None = None
        self._stream: IO[bytes] | None = None
        self._start = 0
        if isinstance(data, bytes | bytearray | memoryview):
            if len(data) > max_bytes:
                raise _too_large(max_bytes)
            self._bytes = (
                data if isinstance(data, bytes) else bytes(data)
            )  # BytesIO shares bytes, copies others
        elif _is_text(data):
            self._stream = self._spool_text(data)  # type: ignore[arg-type]
        elif _seekable(data):
            self._stream = data  # type: ignore[assignment]
            self._start = data.tell()
        else:
            self._stream = self._spool_bytes(data)  # type: ignore[arg-type]

    def _spool_bytes(self, data: IO[bytes]) -> IO[bytes]:
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
        limited = _LimitedReader(data, self._max_bytes)
        while chunk := limited.read(_CHUNK):
            spool.write(chunk)
        spool.seek(0)
        return spool

    def _spool_text(self, data: IO[str]) -> IO[bytes]:
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
        written = 0
        while chunk := data.read(_CHUNK):
            encoded = chunk.encode("utf-8", errors="surrogatepass")
            written += len(encoded)
            if written > self._max_bytes:
                raise _too_large(self._max_bytes)
            spool.write(encoded)
        spool.seek(0)
        return spool

    @contextmanager
    def open(self) -> Iterator[TextIO]:
        """The text from the start, for ``csv.reader`` (``newline=""``) or line by line.

        Text that is not UTF-8 raises :class:`ImportFileUnreadable` while it is read.
        """
        if self._bytes is not None:
            raw: IO[bytes] = io.BytesIO(self._bytes)
        else:
            assert self._stream is not None
            self._stream.seek(self._start)
            raw = self._stream
        limited = io.BufferedReader(_LimitedReader(raw, self._max_bytes), buffer_size=64 * 1024)
        text = io.TextIOWrapper(limited, encoding="utf-8-sig", errors="strict", newline="")
        try:
            yield text
        except UnicodeDecodeError as error:
            raise ImportFileUnreadable(
                f"The file is not UTF-8 text; {self._advice}. ({error.reason} in a chunk of the file)"
            ) from error
        finally:
            text.detach()


def _is_text(data: object) -> bool:
    """Whether a stream gives ``str``: reading nothing from it tells, without consuming anything."""
    read = getattr(data, "read", None)
    if read is None:
        raise TypeError(f"import data must be bytes or a readable stream, not {type(data).__name__}")
    return isinstance(read(0), str)


def _seekable(data: object) -> bool:
    try:
        return bool(data.seekable())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False
