"""Signing in and out of the web app: cookies, CSRF, the throttle, and the API staying token-only."""

from __future__ import annotations

import threading

import pytest
from litestar.testing import TestClient

from hours_app.mount import WebAndApi
from hours_core.model import Plan
from hours_core.ports import EntryQuery
from hours_http import create_app
from hours_web import LoginThrottle, create_web_app
from tests.asgi_support import call as asgi_call
from tests.polling import eventually
from tests.world import World

from .conftest import BASE_URL, csrf_of, sign_in


def test_a_stranger_is_sent_to_the_sign_in_page(browser: TestClient) -> None:
    for path in ("/", "/app", "/app/week", "/app/entries", "/app/settings/api"):
        response = browser.get(path)
        assert response.url.path == "/app/sign-in", path
        assert "<h1>Sign in to hours</h1>" in response.text


def test_signing_in_sets_an_http_only_lax_session_cookie_and_opens_the_week(
    browser: TestClient, world: World
) -> None:
    response = sign_in(browser, "OWNER@acme.test", world.owner_password)

    assert response.status_code == 303
    assert response.headers["location"] == "/app/week"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("hours_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/app" in cookie
    assert "Secure" not in cookie  # plain HTTP to 127.0.0.1
    week = browser.get("/app/week")
    assert week.status_code == 200
    assert "Week of" in week.text and world.owner.name in week.text


def test_cookies_are_secure_anywhere_but_plain_http_to_loopback(world: World) -> None:
    app = create_web_app(world.services)
    for base, secure in (
        ("https://hours.example", True),
        ("https://localhost", True),
        ("http://localhost:8000", False),
    ):
        with TestClient(app, base_url=base) as client:
            response = sign_in(client, world.owner.email, world.owner_password)
            cookie = next(
                c for c in response.headers.get_list("set-cookie") if c.startswith("hours_session=")
            )
            assert ("Secure" in cookie) is secure, base


def _set_cookies(client: TestClient, headers: dict[str, str]) -> list[str]:  # type: ignore[type-arg]
    """The ``Set-Cookie`` lines of the sign-in form and of a successful sign-in (the form's cookie,
    then the session's: the form's stays for its hour), for requests carrying ``headers`` (the form's
    cookie is sent by hand: a client keeps no ``Secure`` cookie over plain HTTP)."""
    form = client.get("/app/sign-in", headers=headers)
    lines = form.headers.get_list("set-cookie")
    value = lines[0].split("=", 1)[1].split(";", 1)[0]
    client.cookies.clear()
    signed_in = client.post(
        "/app/sign-in",
        data={
            "email": "owner@acme.test",
            "password": client.app.state["password"],
            "csrf": csrf_of(form.text),
        },
        headers={**headers, "Cookie": f"hours_sign_in={value}"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    lines += signed_in.headers.get_list("set-cookie")
    assert sorted(line.split("=", 1)[0] for line in lines) == ["hours_session", "hours_sign_in"]
    return lines


def test_cookies_are_secure_behind_a_proxy_that_connects_to_loopback(world: World) -> None:
    """The report's finding 2: nginx's bare ``proxy_pass http://127.0.0.1:8000`` sends
    ``Host: 127.0.0.1:8000``; the browser spoke HTTPS to the proxy. Any header a proxy adds makes
    the cookies ``Secure``."""
    app = create_web_app(world.services)
    app.state["password"] = world.owner_password
    with TestClient(app, base_url=BASE_URL) as client:
        for header, value in (
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-For", "203.0.113.7"),
            ("Forwarded", "for=203.0.113.7;proto=https"),
            ("X-Forwarded-Host", "hours.example"),
            ("X-Real-IP", "203.0.113.7"),
        ):
            assert all("; Secure" in line for line in _set_cookies(client, {header: value})), header
        # The laptop (bash scripts/serve): no proxy, plain HTTP to loopback.
        assert not any("Secure" in line for line in _set_cookies(client, {}))


def test_a_forwarded_header_never_makes_a_cookie_less_secure(world: World) -> None:
    with TestClient(create_web_app(world.services), base_url="https://hours.example") as client:
        form = client.get("/app/sign-in", headers={"X-Forwarded-Proto": "http", "Forwarded": "proto=http"})
        cookie = next(c for c in form.headers.get_list("set-cookie") if c.startswith("hours_sign_in="))
        assert "; Secure" in cookie


def test_secure_cookies_makes_every_cookie_secure_even_over_plain_http_to_loopback(world: World) -> None:
    app = create_web_app(world.services, secure_cookies=True)
    app.state["password"] = world.owner_password
    with TestClient(app, base_url=BASE_URL) as client:
        lines = _set_cookies(client, {})
        assert all("; Secure" in line for line in lines)
        session = next(line for line in lines if line.startswith("hours_session="))
        key = session.split("=", 1)[1].split(";", 1)[0]
        week = client.get("/app/week", headers={"Cookie": f"hours_session={key}"})
        signed_out = client.post(
            "/app/sign-out",
            data={"csrf": csrf_of(week.text)},
            headers={"Cookie": f"hours_session={key}"},
            follow_redirects=False,
        )
        assert signed_out.status_code == 303
        deleted = next(c for c in signed_out.headers.get_list("set-cookie") if c.startswith("hours_session="))
        assert "; Secure" in deleted and "Max-Age=0" in deleted


def test_plain_http_to_another_host_says_why_the_browser_dropped_the_cookie(world: World) -> None:
    with TestClient(create_web_app(world.services), base_url="http://hours.example") as client:
        form = client.get("/app/sign-in")
        cookie = next(c for c in form.headers.get_list("set-cookie") if c.startswith("hours_sign_in="))
        assert "Secure" in cookie
        assert "did not send back" not in form.text

        refused = sign_in(
            client, world.owner.email, world.owner_password
        )  # the client keeps no Secure cookie

    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "open it over HTTPS (or on localhost)" in refused.text  # type: ignore[attr-defined]


def test_signing_in_again_in_the_same_browser_ends_the_session_it_held(
    browser: TestClient, world: World
) -> None:
    sign_in(browser, world.owner.email, world.owner_password)
    first = browser.cookies["hours_session"]

    sign_in(browser, world.owner.email, world.owner_password)
    second = browser.cookies["hours_session"]

    assert second != first
    browser.cookies.clear()
    assert browser.get("/app/week", headers={"Cookie": f"hours_session={first}"}).url.path == "/app/sign-in"
    assert browser.get("/app/week", headers={"Cookie": f"hours_session={second}"}).status_code == 200


def test_a_wrong_password_shows_one_message_and_sets_no_session(browser: TestClient, world: World) -> None:
    response = sign_in(browser, world.owner.email, "not the password")

    assert response.status_code == 401
    assert "The email or password is wrong." in response.text
    assert not any(c.startswith("hours_session=") for c in response.headers.get_list("set-cookie"))


def test_a_sign_in_without_the_forms_csrf_token_is_refused(browser: TestClient, world: World) -> None:
    browser.get("/app/sign-in")
    response = browser.post(
        "/app/sign-in", data={"email": world.owner.email, "password": world.owner_password, "csrf": "forged"}
    )

    assert response.status_code == 403
    assert "The form expired" in response.text


def test_failed_sign_ins_are_limited_per_email(world: World) -> None:
    app = create_web_app(world.services, throttle=LoginThrottle(per_email=3, per_address=100))
    with TestClient(app, base_url=BASE_URL) as client:
        for _ in range(3):
            assert sign_in(client, world.owner.email, "wrong password").status_code == 401
        refused = sign_in(client, world.owner.email, world.owner_password)
        assert refused.status_code == 429
        assert "Too many failed attempts. Try again in 15 minutes." in refused.text
        assert int(refused.headers["retry-after"]) > 0
        assert sign_in(client, world.admin.email, "another wrong one").status_code == 401


def test_failed_sign_ins_are_limited_per_address(world: World) -> None:
    app = create_web_app(world.services, throttle=LoginThrottle(per_email=100, per_address=2))
    with TestClient(app, base_url=BASE_URL) as client:
        assert sign_in(client, "a@acme.test", "wrong password").status_code == 401
        assert sign_in(client, "b@acme.test", "wrong password").status_code == 401
        assert sign_in(client, world.owner.email, world.owner_password).status_code == 429


def test_a_post_without_the_sessions_csrf_token_is_refused(owner: TestClient) -> None:
    response = owner.post("/app/timer/stop", data={"csrf": "forged"})

    assert response.status_code == 403
    assert "This form has expired or did not come from hours" in response.text


def test_signing_out_ends_the_session(owner: TestClient) -> None:
    token = csrf_of(owner.get("/app/week").text)
    session = owner.cookies["hours_session"]

    response = owner.post("/app/sign-out", data={"csrf": token}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/app/sign-in"
    owner.cookies.set("hours_session", session, domain="127.0.0.1", path="/app")
    assert owner.get("/app/week").url.path == "/app/sign-in"


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(browser: TestClient) -> None:
    response = browser.post("/app/week/cell", headers={"HX-Request": "true"}, follow_redirects=False)

    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/app/sign-in"


def test_a_session_cookie_never_authenticates_the_json_api(world: World) -> None:
    site = WebAndApi(api=create_app(world.services), web=create_web_app(world.services))
    with TestClient(site, base_url=BASE_URL) as client:  # type: ignore[arg-type]
        assert sign_in(client, world.owner.email, world.owner_password).status_code == 303
        session = client.cookies["hours_session"]

        for path in ("/time-entries", "/me", "/tokens", "/projects"):
            response = client.get(path, headers={"Cookie": f"hours_session={session}"})
            assert response.status_code == 401, path
            assert response.json()["error"]["code"] == "unauthenticated"
        assert client.get("/me", headers={"Authorization": f"Bearer {world.owner_token}"}).status_code == 200


def test_concurrent_wrong_sign_ins_check_at_most_the_limits_passwords(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attempts sent at once (the report's race: the first ones still in scrypt while the rest
    arrive) are counted before their passwords are checked: 5 are checked, the rest get 429."""
    sent = 40
    release = threading.Event()
    checked: list[str] = []
    real_sign_in = world.services.sign_in.sign_in

    def slow_sign_in(email: str, password: str, *, replacing: str | None = None) -> object:
        checked.append(password)
        release.wait(timeout=60)  # held until every attempt was let through or refused
        return real_sign_in(email, password, replacing=replacing)

    monkeypatch.setattr(world.services.sign_in, "sign_in", slow_sign_in)
    statuses: list[int] = []
    with TestClient(create_web_app(world.services), base_url=BASE_URL) as client:
        token = csrf_of(client.get("/app/sign-in").text)
        cookie = f"hours_sign_in={client.cookies['hours_sign_in']}"  # each answer sets a new one
        client.cookies.clear()

        def guess(number: int) -> None:
            response = client.post(
                "/app/sign-in",
                data={"email": world.admin.email, "password": f"guess {number:03}", "csrf": token},
                headers={"Cookie": cookie},
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=guess, args=(number,)) for number in range(sent)]
        for thread in threads:
            thread.start()
        assert eventually(lambda: len(checked) + len(statuses) == sent)
        release.set()
        for thread in threads:
            thread.join()

    assert len(checked) == 5
    assert sorted(statuses) == [401] * 5 + [429] * (sent - 5)


def test_another_organizations_user_with_the_same_email_does_not_reset_the_emails_failures(
    world: World,
) -> None:
    """The report's finding 5: four guesses against the admin's password, then a sign-in with the
    attacker's own password for the same email in another organization, repeated, never reached
    the limit. A success now takes back only its own attempt."""
    other = world.services.admin.bootstrap(
        org_name="Other", plan=Plan.SOLO, email=world.admin.email, env="live"
    )
    app = create_web_app(world.services, throttle=LoginThrottle(per_email=5, per_address=100))
    with TestClient(app, base_url=BASE_URL) as client:
        for _ in range(4):
            assert sign_in(client, world.admin.email, "a wrong guess").status_code == 401
        assert sign_in(client, world.admin.email, other.password).status_code == 303
        client.cookies.clear()
        assert sign_in(client, world.admin.email, "a fifth guess").status_code == 401

        assert sign_in(client, world.admin.email, "a sixth guess").status_code == 429
        assert sign_in(client, world.admin.email, other.password).status_code == 429


@pytest.mark.parametrize("order", ["ours first", "ours last"])
def test_a_session_cookie_sent_twice_with_two_values_is_refused_whichever_comes_first(
    owner: TestClient, world: World, order: str
) -> None:
    """A cookie of the same name set for the whole domain (``Domain=example.com; Path=/``, by another
    site on it) reaches the pages beside ours. Before, the last one won: a browser lists the cookie of
    the longer path (ours, ``/app``) first, so another site's session signed the person in to its
    account ("session swapping"); with ours last, to theirs. Now neither: 400, nothing read."""
    ours = owner.cookies["hours_session"]
    other = "x" * 43
    pair = (ours, other) if order == "ours first" else (other, ours)
    with TestClient(create_web_app(world.services), base_url=BASE_URL) as client:
        week = client.get(
            "/app/week", headers={"cookie": f"hours_session={pair[0]}; hours_session={pair[1]}"}
        )
        same_twice = client.get(
            "/app/week", headers={"cookie": f"hours_session={ours}; hours_session={ours}"}
        )

    assert week.status_code == 400
    assert "sent the cookie hours_session twice" in week.text and world.owner.name not in week.text
    assert same_twice.status_code == 200 and world.owner.name in same_twice.text


@pytest.mark.parametrize("order", ["the token first", "the token last"])
def test_a_csrf_header_sent_twice_with_two_values_is_refused_whichever_comes_first(
    owner: TestClient, world: World, order: str
) -> None:
    """htmx sends the session's CSRF token as ``X-CSRF-Token``. Sent twice, the framework read the
    first line only: the token first passed whatever followed, the token last was "This form has
    expired". Now both are 400, as a cookie sent twice is, and nothing is saved."""
    token = csrf_of(owner.get("/app/week").text)
    cell = f"{world.project.id}.-.2026-03-02"
    body = f"cell={cell}&d.{cell}=1h".encode()
    pair = (token, "y" * 43) if order == "the token first" else ("y" * 43, token)
    web = create_web_app(world.services)

    def post(*tokens: str) -> tuple[int, bytes]:
        headers = [
            (b"cookie", f"hours_session={owner.cookies['hours_session']}".encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            *((b"x-csrf-token", sent.encode()) for sent in tokens),
        ]
        status, _, answer = asgi_call(web, "POST", "/app/week/cell", headers, body)
        return status, answer

    status, answer = post(*pair)
    assert status == 400
    assert (
        "Your browser sent the header X-CSRF-Token twice, with two values (a page of hours sends it once), "
        "so hours cannot tell which is yours; nothing was read. Reload the page, then try again."
    ) in answer.decode()
    caller = world.caller(world.owner)
    assert list(world.services.entries.list_time_entries(caller, EntryQuery()).entries) == []
    assert post(token, token)[0] == 200  # the same value twice is one value


def test_a_sign_in_with_the_forms_cookie_sent_twice_is_refused(world: World) -> None:
    """The sign-in form's cookie holds its CSRF token (double submit): with a second one of another
    value, the last one won, so a cookie set by another site of the domain chose the token."""
    with TestClient(create_web_app(world.services), base_url=BASE_URL) as client:
        form = client.get("/app/sign-in")
        token = csrf_of(form.text)
        response = client.post(
            "/app/sign-in",
            data={"email": world.owner.email, "password": world.owner_password, "csrf": token},
            headers={"cookie": f"hours_sign_in={'y' * 43}; hours_sign_in={token}"},
            follow_redirects=False,
        )

    assert response.status_code == 400 and "sent the cookie hours_sign_in twice" in response.text
    assert not any(c.startswith("hours_session=") for c in response.headers.get_list("set-cookie"))
