"""The CSV readers and a line or row far past the limits: refused as before, in memory bounded by the limits."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable

import pytest

from hours_exchange import (
    ImportFileUnreadable,
    ImportLimits,
    ImportRow,
    RejectedRow,
    read_import,
)

from .odd_files import CLOCKIFY_HEADER, HARVEST_HEADER, TOGGL_HEADER

LINE = 60 * 1024 * 1024
"""The tester's line: 60 MiB, within the 64 MiB an upload may have."""

FIELDS_LINE = 16 * 1024 * 1024
"""A line of four million short fields (eight times the memory budget; read twice, in the date pass too)."""

MEMORY_BUDGET = 2 * 1024 * 1024
"""What reading past it may take at the peak: a few times the 131,374-character record limit."""

HEADERS = {"toggl": TOGGL_HEADER, "clockify": CLOCKIFY_HEADER, "harvest": HARVEST_HEADER}


class GeneratedFile(io.RawIOBase):
    """A seekable file of ``head``, ``size`` bytes of ``pattern`` repeated, then ``tail``, made as it
    is read (the test holds none of it); ``bytes_read`` counts what the reader took."""

    def __init__(self, head: bytes, pattern: bytes, size: int, tail: bytes) -> None:
        self._head, self._pattern, self._size, self._tail = head, pattern, size, tail
        self._length = len(head) + size + len(tail)
        self._position = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = base + offset
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self._length - self._position)
        data = self._bytes(self._position, count)
        buffer[:count] = data
        self._position += count
        self.bytes_read += count
        return count

    def _bytes(self, start: int, count: int) -> bytes:
        parts = []
        head_end, filler_end = len(self._head), len(self._head) + self._size
        stop = start + count
        if start < head_end:
            parts.append(self._head[start : min(stop, head_end)])
        if stop > head_end and start < filler_end:
            first, last = max(start, head_end) - head_end, min(stop, filler_end) - head_end
            offset = first % len(self._pattern)
            repeats = (last - first + offset) // len(self._pattern) + 1
            parts.append((self._pattern * repeats)[offset : offset + last - first])
        if stop > filler_end:
            parts.append(self._tail[max(start, filler_end) - filler_end : stop - filler_end])
        return b"".join(parts)


def peak_memory_of(read: Callable[[], object]) -> tuple[object, int]:
    """What ``read`` returns (or raises), and the most memory Python allocated meanwhile."""
    tracemalloc.start()
    try:
        try:
            outcome: object = read()
        except ImportFileUnreadable as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rows_of(source: str, data: object, **options: object) -> list[ImportRow | RejectedRow]:
    return list(read_import(source, data, timezone="UTC", **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("source", ["toggl", "clockify", "harvest"])
def test_a_60_mib_line_without_delimiters_is_refused_after_reading_a_few_hundred_kib(source: str) -> None:
    file = GeneratedFile((HEADERS[source] + "\n").encode(), b"a", LINE, b"\n")

    outcome, peak = peak_memory_of(lambda: rows_of(source, file))

    assert isinstance(outcome, ImportFileUnreadable)
    assert outcome.row == 2
    assert outcome.message == (
        "The file stops being CSV at row 2: field larger than field limit (131072). Is a quote left open?"
    )
    assert peak < MEMORY_BUDGET
    assert file.bytes_read < 2 * 1024 * 1024


@pytest.mark.parametrize("source", ["toggl", "clockify", "harvest"])
def test_a_16_mib_line_of_short_fields_is_rejected_alone_and_the_next_row_still_reads(source: str) -> None:
    header = HEADERS[source]
    good = {
        "toggl": "Ada,ada@example.com,,Website,,Next,No,2025-01-10,09:00:00,2025-01-10,10:00:00,01:00:00,",
        "clockify": '"Website","","Next","","Ada","","ada@example.com","","No","01/13/2025","09:00 AM",'
        '"01/13/2025","10:00 AM","01:00:00","1.00"',
        "harvest": "2025-01-10,,Website,,Next,1,No,Ada,",
    }[source]
    file = GeneratedFile((header + "\n").encode(), b'"a",', FIELDS_LINE, ("\n" + good + "\n").encode())

    outcome, peak = peak_memory_of(lambda: rows_of(source, file))

    assert isinstance(outcome, list)
    rejected, next_row = outcome
    assert isinstance(rejected, RejectedRow)
    assert [(error.row, error.code) for error in rejected.errors] == [(2, "wrong_field_count")]
    assert f"has {FIELDS_LINE // 4 + 1} fields where the header has" in rejected.errors[0].message
    assert isinstance(next_row, ImportRow)
    assert next_row.row == 3
    assert peak < MEMORY_BUDGET


def test_a_long_row_of_the_header_s_width_is_row_too_long_and_a_blank_one_is_skipped() -> None:
    width = len(HARVEST_HEADER.split(","))
    long_row = ",".join(["x" * 100_000] * width)
    blank_row = ",".join([" " * 100_000] * width)
    text = f"{HARVEST_HEADER}\n{long_row}\n{blank_row}\n2025-01-10,,Website,,Next,1,No,Ada,\n"

    rows = rows_of("harvest", text.encode())

    assert [(row.row, type(row).__name__) for row in rows] == [(2, "RejectedRow"), (4, "ImportRow")]
    assert [error.code for error in rows[0].errors] == ["row_too_long"]  # type: ignore[union-attr]


def test_quoted_line_breaks_and_quotes_read_up_to_the_row_limit_and_one_character_more_is_too_long() -> None:
    limits = ImportLimits(max_row_chars=4_000)
    fixed = ["2025-01-10", "", "Website", "", "1", "No", "Ada", ""]  # Date, Client, Project, Task, Hours, ...
    note_length = limits.max_row_chars - sum(map(len, fixed))
    note = ('"\n' * note_length)[:note_length]  # every character doubled or a line break: the longest text

    def file_with(note: str) -> bytes:
        cells = [*fixed[:4], note, *fixed[4:]]
        row = ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
        return f"{HARVEST_HEADER}\r\n{row}\r\n2025-01-11,,Website,,Next,1,No,Ada,\r\n".encode()

    at_the_limit = rows_of("harvest", file_with(note), limits=limits)
    assert [type(row).__name__ for row in at_the_limit] == ["ImportRow", "ImportRow"]
    assert at_the_limit[0].note == note.strip()  # type: ignore[union-attr]
    assert at_the_limit[1].row == 3

    one_more = rows_of("harvest", file_with(note + '"'), limits=limits)
    assert [error.code for error in one_more[0].errors] == ["row_too_long"]  # type: ignore[union-attr]
    assert (one_more[1].row, type(one_more[1]).__name__) == (3, "ImportRow")


def test_a_quote_left_open_before_a_long_tail_is_refused_as_unreadable() -> None:
    head = f'{HARVEST_HEADER}\n2025-01-10,,Website,,"open'.encode()
    with pytest.raises(ImportFileUnreadable, match="row 2: field larger than field limit"):
        rows_of("harvest", GeneratedFile(head, b"a\n", 1_000_000, b""))
    with pytest.raises(ImportFileUnreadable, match="row 2: unexpected end of data"):
        rows_of("harvest", GeneratedFile(head, b'""', 2 * 130_000, b""))  # longer than a row, not a field
