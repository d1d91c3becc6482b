"""The records of a CSV file, read in memory bounded by the row limit however long a line is.

``csv.reader`` iterating a text stream asks it for whole lines: one 60 MiB line without a line
break is read (and decoded, and copied) whole before Python's field limit refuses it.
:func:`csv_records` feeds ``csv.reader`` the lines read with ``readline(limit)`` instead, and
counts the characters of the record they belong to (a record spans several lines where a quoted
field holds line breaks). A record that grows past ``record_limit`` characters is taken from
``csv.reader`` and read past by a ``csv.reader`` of its own (:class:`_RecordPieces`), given the
record in pieces of a few hundred thousand characters cut just after a delimiter, which counts
its fields as they go and keeps none. So a long record ends the way ``csv.reader`` would have
ended it, by ``csv``'s own rules (``strict``, doubled quotes, the field limit): the same
:class:`csv.Error` (a field over the limit, a stray quote, a quote left open at the end), or an
:class:`OverlongRecord` with its number of fields where ``csv.reader`` would have given the
fields themselves.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

import attrs

__all__ = ["OverlongRecord", "csv_records", "record_text_limit"]

_LINE_ENDS = ("\n", "\r")


def record_text_limit(max_row_chars: int, width: int) -> int:
    """The longest text a record of ``width`` fields holding ``max_row_chars`` characters can have.

    Each field of ``n`` characters is written in at most ``2n + 2`` (quoted, every character a
    doubled quote), between ``width - 1`` delimiters, before a line end of at most 2 (CRLF). A
    record with longer text has more characters than ``max_row_chars``, or another number of fields.
    """
    return 2 * max_row_chars + 3 * width + 1


@attrs.frozen
class OverlongRecord:
    """A record whose text was longer than the limit: read past, never held whole.

    ``field_count`` is the number of fields ``csv.reader`` would have given; ``blank`` says whether
    all of them are empty or whitespace (a line of delimiters and spaces).
    """

    field_count: int
    blank: bool


def csv_records(stream: TextIO, *, delimiter: str, record_limit: int) -> Iterator[list[str] | OverlongRecord]:
    """The records of ``stream`` as ``csv.reader(stream, delimiter=delimiter, strict=True)`` gives them.

    A record whose text (all its lines) is longer than ``record_limit`` characters comes as an
    :class:`OverlongRecord`; memory stays within a few times ``record_limit`` and the field limit
    (characters) whatever the stream holds. Raises :class:`csv.Error` where ``csv.reader`` would,
    with its message.
    """
    lines = _BoundedLines(stream, delimiter=delimiter, record_limit=record_limit)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        lines.start_record()
        try:
            values = next(reader)
        except StopIteration:
            return
        except _ReadPast as past:
            yield past.record
            continue
        yield values


class _ReadPast(Exception):
    """Raised through ``csv.reader`` by :class:`_BoundedLines` once it has read past a long record."""

    def __init__(self, record: OverlongRecord) -> None:
        super().__init__(record)
        self.record = record


class _BoundedLines:
    """The lines of a text stream for ``csv.reader``, none that would take a record past the limit."""

    def __init__(self, stream: TextIO, *, delimiter: str, record_limit: int) -> None:
        self._stream = stream
        self.delimiter = delimiter
        self.record_limit = record_limit
        self._record_lines: list[str] = []
        self._record_chars = 0
        self._read_ahead: str | None = None

    def __iter__(self) -> _BoundedLines:
        return self

    def start_record(self) -> None:
        """Forget the lines read so far: the lines asked for next belong to a new record."""
        self._record_lines = []
        self._record_chars = 0

    def record_lines(self) -> list[str]:
        """The lines given of the record so far, forgotten here."""
        lines = self._record_lines
        self.start_record()
        return lines

    def __next__(self) -> str:
        asked = self.record_limit - self._record_chars + 1
        if self._read_ahead is not None:  # read with record_limit + 1 at the start of a record
            line, self._read_ahead = self._read_ahead, None
        else:
            line = self._stream.readline(asked)
        if not line:
            raise StopIteration
        if len(line) < asked:
            self._record_lines.append(line)
            self._record_chars += len(line)
            return line
        raise _ReadPast(self._read_past(line, asked))

    def put_back(self, line: str) -> None:
        """Give ``line`` (read ahead past a long record) first when the next line is asked for."""
        self._read_ahead = line or None

    def _read_past(self, first: str, asked: int) -> OverlongRecord:
        """Read the rest of the record ``first`` takes past the limit with a ``csv.reader`` of its own,
        given the record in pieces, and count its fields as they go."""
        pieces = _RecordPieces(self, first, asked)
        field_count = 0
        blank = True
        for values in csv.reader(pieces, delimiter=self.delimiter, strict=True):
            blank = blank and not any(value.strip() for value in values)
            if pieces.cut_after_delimiter:  # csv.reader ended a record where the cut is: one field too many
                field_count += len(values) - 1
                continue
            if pieces.cut_in_field:  # a piece of one field that long is over the field limit
                raise csv.Error(f"field larger than field limit ({csv.field_size_limit()})")
            # At the record's real end. If the piece after a cut starts with the line end, csv.reader
            # read it as an empty line ([]) where it ends the field after the delimiter.
            return OverlongRecord(field_count + (len(values) or 1), blank)
        # The file ended just after a cut after a delimiter (else csv.reader says "unexpected end of
        # data" itself): the record ends there, with the empty field after that delimiter.
        return OverlongRecord(field_count + 1, blank)

    def read_piece(self, size: int) -> str:
        """At most ``size`` characters of a line (the line put back first, if one was)."""
        if self._read_ahead is not None:
            piece, self._read_ahead = self._read_ahead, None
            return piece
        return self._stream.readline(size)


class _RecordPieces:
    """A long record's text for a ``csv.reader`` of its own, in pieces of bounded length.

    First the lines ``csv.reader`` was given of it (whole), then its rest, read ``record_limit + 1``
    characters at a time and given in pieces cut just after a delimiter (where ``csv.reader`` ends
    a record if the delimiter is outside quotes: :attr:`cut_after_delimiter` says so, and the caller
    drops the empty field the cut adds; inside quotes it reads on), or, where no delimiter comes
    for ``2 * field limit + 3`` characters, after those: one field that long, quoted or not, is
    over the field limit, and ``csv.reader`` refuses it inside the piece (:attr:`cut_in_field`).
    """

    def __init__(self, lines: _BoundedLines, first: str, asked: int) -> None:
        self._lines = lines
        self._earlier = lines.record_lines()
        self._first: str | None = first
        self._asked = asked
        self._size = lines.record_limit + 1
        self._stretch = 2 * csv.field_size_limit() + 3
        self._pending = ""
        self.cut_after_delimiter = False
        self.cut_in_field = False

    def __iter__(self) -> _RecordPieces:
        return self

    def __next__(self) -> str:
        self.cut_after_delimiter = self.cut_in_field = False
        if self._earlier:
            return self._earlier.pop(0)
        while True:
            if self._first is not None:
                chunk, asked, self._first = self._first, self._asked, None
            else:
                chunk, asked = self._lines.read_piece(self._size), self._size
                if not chunk:  # the end of the file
                    if not self._pending:
                        raise StopIteration
                    piece, self._pending = self._pending, ""
                    return piece  # the end of the last line
            if chunk.endswith("\r") and len(chunk) == asked:  # did readline stop between CR and LF?
                following = self._lines.read_piece(self._size)
                if following == "\n":
                    chunk += following
                else:
                    self._lines.put_back(following)
            elif not chunk.endswith(_LINE_ENDS) and len(chunk) == asked:  # the line goes on
                self._pending += chunk
                cut = self._pending.rfind(self._lines.delimiter) + 1
                if cut:
                    piece, self._pending = self._pending[:cut], self._pending[cut:]
                    self.cut_after_delimiter = True
                    return piece
                if len(self._pending) >= self._stretch:
                    piece, self._pending = self._pending, ""
                    self.cut_in_field = True
                    return piece
                continue
            piece, self._pending = self._pending + chunk, ""
            return piece  # up to a line end, or the end of the last line
