"""The request ids hours makes for requests that bring none (``hours_http.request_id``)."""

from __future__ import annotations

import os
import uuid

from hours_http.request_id import request_id_of


def made_id() -> str:
    return request_id_of({"type": "http", "headers": []})


def test_a_made_request_id_is_a_version_4_uuid_in_its_canonical_form() -> None:
    for _ in range(1_000):
        made = made_id()
        parsed = uuid.UUID(made)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, made)


def test_made_request_ids_do_not_repeat() -> None:
    made = {made_id() for _ in range(100_000)}
    assert len(made) == 100_000


def test_a_forked_worker_makes_other_ids_than_its_parent() -> None:
    """Granian forks its workers from one process: each must not replay its parent's sequence."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, "\n".join(made_id() for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        in_child = set(pipe.read().splitlines())
    in_parent = {made_id() for _ in range(50)}
    assert len(in_child) == 50 and not in_child & in_parent


def test_a_safe_request_id_the_client_sent_is_kept_once_worked_out() -> None:
    scope = {"type": "http", "headers": [(b"x-request-id", b"abc-123")]}
    assert request_id_of(scope) == "abc-123" == request_id_of(scope)
