"""Signing in with an address beyond ASCII, in Debian's Chromium against a real ``hours serve``:
hours takes such addresses (RFC 6531: ``élodie@exämple.com``), so its sign-in form must let the
browser send one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server_support import Server, served

from .test_browser_refused_saves import context

__all__ = ["context"]  # the browser fixture, shared

EMAIL = "élodie@exämple.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("email"), bootstrap=("--email", EMAIL)) as running:
        yield running


@pytest.mark.slow
def test_an_owner_whose_email_is_beyond_ascii_signs_in(server: Server, context: Any) -> None:
    """The audit of issue 18: the form's ``type="email"`` input refused the address in the
    browser ("A part followed by '@' should not contain the symbol 'é'"), so such a user could not
    sign in at all; the form never reached the server."""
    page = context.new_page()
    page.goto(server.base_url + "/app/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(server.demo["password"])
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(server.base_url + "/app/week")
