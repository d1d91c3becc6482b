"""The sign-in form's cookie: forms in two tabs share it, and a form that outlived it says so."""

from __future__ import annotations

import re
from datetime import timedelta

from litestar.testing import TestClient

from tests.world import World

from .conftest import csrf_of

NO_COOKIE = "Your browser did not send back the sign-in form&#39;s cookie."
EXPIRED = "The form expired; please sign in again."


def issued_of(html: str) -> str:
    found = re.search(r'name="issued" value="([0-9]+)"', html)
    assert found is not None, "the sign-in form has no issued field"
    return found.group(1)


def submit(client: TestClient, world: World, form: str, **fields: str):  # type: ignore[type-arg, no-untyped-def]
    data = {"email": world.owner.email, "password": world.owner_password, "csrf": csrf_of(form)}
    data["issued"] = issued_of(form)
    return client.post("/app/sign-in", data={**data, **fields}, follow_redirects=False)


def test_forms_loaded_in_two_tabs_both_sign_in(browser: TestClient, world: World) -> None:
    first = browser.get("/app/sign-in").text
    second = browser.get("/app/sign-in").text

    assert csrf_of(first) == csrf_of(second)  # the second load reuses the cookie the first set
    assert submit(browser, world, first).status_code == 303
    # Round 7 re-check: the first sign-in deleted the cookie, and the second tab was told that its
    # browser dropped cookies. The second tab signs in too, in place of the first tab's session.
    held = browser.cookies.get("hours_session")
    assert submit(browser, world, second).status_code == 303
    assert browser.cookies.get("hours_session") not in (None, held)


def test_a_failed_sign_in_keeps_the_other_tabs_form_working(browser: TestClient, world: World) -> None:
    first = browser.get("/app/sign-in").text
    second = browser.get("/app/sign-in").text

    wrong = submit(browser, world, first, password="not the password")
    assert wrong.status_code == 401

    assert submit(browser, world, second).status_code == 303


def test_a_cookie_not_of_our_shape_is_not_reused(browser: TestClient) -> None:
    browser.cookies.set("hours_sign_in", "short", path="/app/sign-in")

    form = browser.get("/app/sign-in")

    assert csrf_of(form.text) != "short"
    assert f"hours_sign_in={csrf_of(form.text)};" in form.headers["set-cookie"]


def test_a_form_older_than_its_cookie_says_it_expired(browser: TestClient, world: World) -> None:
    form = browser.get("/app/sign-in").text
    world.clock.advance(timedelta(hours=1))
    browser.cookies.clear()  # the browser drops the cookie at its Max-Age (3600)

    answer = submit(browser, world, form)

    assert answer.status_code == 403
    assert EXPIRED in answer.text and NO_COOKIE not in answer.text
    assert submit(browser, world, answer.text).status_code == 303  # the new form signs in


def test_a_fresh_form_without_its_cookie_says_the_browser_did_not_keep_it(
    browser: TestClient, world: World
) -> None:
    form = browser.get("/app/sign-in").text
    world.clock.advance(timedelta(minutes=59))
    browser.cookies.clear()

    fresh = submit(browser, world, form)
    browser.cookies.clear()  # the answer set a cookie again, which the browser again did not keep
    unknown = submit(browser, world, form, issued="soon")

    assert fresh.status_code == unknown.status_code == 403
    assert NO_COOKIE in fresh.text and EXPIRED not in fresh.text
    assert NO_COOKIE in unknown.text
