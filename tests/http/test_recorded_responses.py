"""How the HTTP adapter records a response for an idempotency key, and gives it back unchanged."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.services import Outcome
from hours_http.idempotency import RecordedResponse, frame, recorded, to_response, unframe

_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True)
_VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)
_RESPONSES = st.builds(
    RecordedResponse,
    status=st.integers(200, 299),
    body=st.binary(max_size=300),
    headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=4).map(tuple),
)


@given(_RESPONSES)
@example(RecordedResponse(201, b"\r\n\r\nbody with a blank line\x00\xff", (("Location", "/x"),)))
@example(RecordedResponse(204, b""))
def test_a_framed_response_unframes_to_the_same_status_headers_and_body_bytes(
    response: RecordedResponse,
) -> None:
    assert unframe(frame(response)) == response


def test_a_recorded_response_is_framed_like_an_http_1_1_message() -> None:
    assert recorded(201, b'{"data":1}', location="/time-entries/e1") == (
        b'HTTP/1.1 201 \r\nLocation: /time-entries/e1\r\n\r\n{"data":1}'
    )
    assert recorded(200, b"{}") == b"HTTP/1.1 200 \r\n\r\n{}"


@pytest.mark.parametrize("status", [199, 300, 304, 409, 422, 500])
def test_only_successful_responses_are_recorded(status: int) -> None:
    with pytest.raises(ValueError, match="2xx"):
        recorded(status, b"{}")


@pytest.mark.parametrize(
    "header",
    [("", "x"), ("Bad Name", "x"), ("Bad:Name", "x"), ("X-Split", "a\r\nInjected: 1"), ("X-Newline", "a\nb")],
)
def test_a_header_field_that_cannot_be_framed_is_refused(header: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="header field"):
        frame(RecordedResponse(201, b"{}", (header,)))


@given(st.binary(max_size=200))
@example(b"")
@example(b"HTTP/1.1 201 \r\n")
@example(b"HTTP/1.0 201 \r\n\r\n{}")
@example(b"HTTP/1.1 2010 \r\n\r\n{}")
@example(b"HTTP/1.1 201 \r\nno separator\r\n\r\n{}")
@example(b"HTTP/1.1 000 \r\n\r\n{}")
@example(b"HTTP/1.1 2\xd9\xa0\xd9\xa0 \r\n\r\n{}")
def test_unframing_bytes_it_did_not_frame_returns_a_response_or_raises_value_error(data: bytes) -> None:
    try:
        response = unframe(data)
    except ValueError:
        return
    assert 200 <= response.status < 300


def test_a_replay_sends_the_recorded_status_headers_and_body_marked_as_replayed() -> None:
    result = recorded(201, b'{"data":{"id":"e1"}}', location="/time-entries/e1")

    first = to_response(Outcome(result))
    replay = to_response(Outcome(result, replayed=True))

    assert first.status_code == replay.status_code == 201
    assert first.content == replay.content == b'{"data":{"id":"e1"}}'
    assert first.headers == {"Location": "/time-entries/e1"}
    assert replay.headers == {"Location": "/time-entries/e1", "Idempotent-Replayed": "true"}


def test_an_empty_recorded_body_is_sent_as_no_content() -> None:
    response = to_response(Outcome(recorded(204, b"")))

    assert response.status_code == 204
    assert response.content is None
    assert response.media_type is None
