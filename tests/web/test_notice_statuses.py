"""The status of a page that shows a core refusal (``hours_web.notices.status_of``)."""

from __future__ import annotations

from hours_core.errors import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    StoreBusy,
    StoreFull,
    TooManyTokens,
    ValidationFailed,
)
from hours_web.notices import status_of


def test_a_form_of_an_older_version_is_a_conflict_on_every_page() -> None:
    """A stale form is the page's own conflict (409), as a locked day is, not a header's 412 (nor 400)."""
    assert status_of(PreconditionFailed(current_version=3)) == 409


def test_the_other_refusals_keep_their_statuses() -> None:
    assert status_of(ValidationFailed.one("note", "is too long")) == 422
    assert status_of(NotFound.of("entry")) == 404
    assert status_of(Forbidden("no")) == 403


def test_a_token_over_the_users_cap_is_422_as_post_tokens_answers_it() -> None:
    assert status_of(TooManyTokens(50)) == 422


def test_a_store_that_could_not_take_the_write_is_503_like_the_api_s_answer() -> None:
    """A busy store and a full disk were 400, as if the form were wrong: nothing was done, and the
    same form can go through later."""
    assert status_of(StoreBusy()) == 503
    assert status_of(StoreFull()) == 503
