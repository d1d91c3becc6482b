"""``csv_records``: ``csv.reader``'s records in bounded memory, a long record read past as csv reads it."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hours_exchange.csv_records import OverlongRecord, csv_records, record_text_limit

Outcome = tuple[list[list[str] | OverlongRecord], str | None]


def stream_of(text: str) -> io.TextIOWrapper:
    """The text as the readers open a file: UTF-8, ``newline=""``."""
    return io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8", newline="")


def bounded(text: str, delimiter: str, limit: int) -> Outcome:
    records: list[list[str] | OverlongRecord] = []
    try:
        for record in csv_records(stream_of(text), delimiter=delimiter, record_limit=limit):
            records.append(record)
    except csv.Error as error:
        return records, str(error)
    return records, None


def as_csv_reads_it(text: str, delimiter: str, limit: int) -> Outcome:
    """``csv.reader`` over whole lines, each record longer than ``limit`` made an OverlongRecord."""
    stream = stream_of(text)
    taken: list[int] = []

    def lines() -> Iterator[str]:
        while line := stream.readline():
            taken.append(len(line))
            yield line

    records: list[list[str] | OverlongRecord] = []
    try:
        for values in csv.reader(lines(), delimiter=delimiter, strict=True):
            length = sum(taken)
            taken.clear()
            if length > limit:
                records.append(OverlongRecord(len(values), not any(value.strip() for value in values)))
            else:
                records.append(values)
    except csv.Error as error:
        return records, str(error)
    return records, None


@contextlib.contextmanager
def field_limit(characters: int) -> Iterator[None]:
    before = csv.field_size_limit(characters)
    try:
        yield
    finally:
        csv.field_size_limit(before)


@settings(max_examples=600)
@given(
    text=st.text(alphabet='ab ,;\t"\r\n\u00e9', max_size=120),
    delimiter=st.sampled_from([",", ";", "\t"]),
    limit=st.integers(min_value=2, max_value=40),
)
@example(text='a,b\r\n"c\r\nd",e\r\n', delimiter=",", limit=5)  # a CR LF cut after the CR
@example(text='"' + "a" * 50 + '\n,b"\nc,d\n', delimiter=",", limit=10)  # past the limit on a later line
@example(text='x,y\n"a""b","",c\n' + " ," * 30 + "\nz\n", delimiter=",", limit=8)  # doubled quotes, blank
@example(text='"ab"c,d\n', delimiter=",", limit=3)  # a stray quote after a quoted field
@example(text='a,"bcdefgh', delimiter=",", limit=4)  # a quote left open at the end
@example(text=";;,", delimiter=",", limit=2)  # the end of the file just after a cut after a delimiter
def test_records_are_what_csv_reader_gives_and_a_long_one_its_field_count(
    text: str, delimiter: str, limit: int
) -> None:
    assert bounded(text, delimiter, limit) == as_csv_reads_it(text, delimiter, limit)


@settings(max_examples=300)
@given(
    text=st.text(alphabet='ab ,"\r\n', max_size=150),
    limit=st.integers(min_value=2, max_value=60),
)
@example(text="a," + "b" * 25 + ",c\n", limit=5)
@example(text='"' + "a" * 10 + '""' + "a" * 10 + '",c\n', limit=5)
def test_a_field_over_the_field_limit_fails_where_csv_reader_fails(text: str, limit: int) -> None:
    with field_limit(20):
        assert bounded(text, ",", limit) == as_csv_reads_it(text, ",", limit)


def quoted_line(fields: list[str]) -> str:
    return ",".join('"' + field.replace('"', '""') + '"' for field in fields) + "\r\n"


def test_a_record_exactly_at_the_limit_is_read_and_one_character_more_is_read_past() -> None:
    at_the_limit = ['"' * 5, '"' * 4]  # 9 characters, each written twice, every field quoted, CR LF
    limit = record_text_limit(9, 2)
    assert len(quoted_line(at_the_limit)) == limit
    assert bounded(quoted_line(at_the_limit) + "x,y\n", ",", limit) == ([at_the_limit, ["x", "y"]], None)

    one_more = ['"' * 6, '"' * 4]
    assert bounded(quoted_line(one_more) + "x,y\n", ",", limit) == (
        [OverlongRecord(2, blank=False), ["x", "y"]],
        None,
    )


def test_a_long_line_is_read_in_pieces_no_longer_than_the_limit() -> None:
    class CountingStream(io.StringIO):
        longest = 0

        def readline(self, size: int | None = -1, /) -> str:
            line = super().readline(size)
            self.longest = max(self.longest, len(line))
            return line

    stream = CountingStream("a," * 500_000 + "\nb,c\n", newline="")
    records = list(csv_records(stream, delimiter=",", record_limit=100))
    assert records == [OverlongRecord(500_001, blank=False), ["b", "c"]]
    assert stream.longest == 101
