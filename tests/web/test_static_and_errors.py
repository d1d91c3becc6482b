"""The web app's static files (vendored, local, cached for a year) and its error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from hours_http import create_app
from hours_http.openapi import DOCS_ASSETS_PATH
from hours_litestar import LocalFiles
from hours_web import create_web_app
from hours_web.app import STATIC, TEMPLATES
from tests.wheel_support import wheel_names
from tests.world import World

from .conftest import BASE_URL, csrf_of


def test_every_script_and_style_of_a_page_is_served_by_hours_for_a_year(owner: TestClient) -> None:
    page = owner.get("/app/week").text
    urls = re.findall(r'(?:src|href)="([^"#]+\.(?:js|css)[^"]*)"', page)

    assert any("htmx.org@2.0.11/htmx.min.js" in url for url in urls)
    for url in urls:
        assert url.startswith("/app/static/"), url
        answer = owner.get(url)
        assert answer.status_code == 200, url
        assert set(answer.headers["cache-control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
        assert answer.headers["content-type"].split(";")[0] in {
            "text/javascript",
            "application/javascript",
            "text/css",
        }


def test_no_template_names_anything_off_the_server() -> None:
    for template in TEMPLATES.glob("*.html"):
        assert not re.search(r"(?:src|href|action)=\"(?:https?:)?//", template.read_text()), template.name


def test_the_vendored_htmx_has_its_license_and_provenance() -> None:
    assert "Zero-Clause BSD" in (STATIC / "htmx.org@2.0.11" / "LICENSE").read_text()
    assert 'version:"2.0.11"' in (STATIC / "htmx.org@2.0.11" / "htmx.min.js").read_text()
    provenance = (STATIC / "README.md").read_text()
    assert "`htmx.org` 2.0.11" in provenance and "sha512-" in provenance


def test_an_unknown_page_and_a_malformed_query_are_pages_not_json(owner: TestClient) -> None:
    missing = owner.get("/app/nowhere")
    malformed = owner.get("/app/week?week=someday")
    no_entry = owner.get("/app/entries/01900000-0000-7000-8000-000000000000/edit")

    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    assert malformed.status_code == 422 and "<h1>Not valid</h1>" in malformed.text
    assert (
        no_entry.status_code == 404 and "Time entry not found." in no_entry.text
    ) or "not found" in no_entry.text


@pytest.mark.slow
def test_the_wheel_ships_the_templates_and_static_files(tmp_path: Path) -> None:
    names = wheel_names(tmp_path)
    for folder, prefix in ((TEMPLATES, "hours_web/templates"), (STATIC, "hours_web/static")):
        for file in folder.rglob("*"):
            if file.is_file():
                assert f"{prefix}/{file.relative_to(folder).as_posix()}" in names
    assert "hours_litestar/files.py" in names  # the static files' file system, the API's too


def test_pages_allow_only_the_servers_own_scripts_and_no_framing_or_caching(owner: TestClient) -> None:
    for path in ("/app/week", "/app/sign-in", "/app/nowhere"):
        headers = owner.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy, path
        assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store", path


def test_no_template_has_an_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and " style=" not in text and "<style" not in text, template.name


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (
            "/app/reports?from=2026-13-01",
            "From: is not a real calendar date in the form YYYY-MM-DD: 2026-13-01",
        ),
        (
            "/app/entries?from=2026-02-30",
            "From: is not a real calendar date in the form YYYY-MM-DD: 2026-02-30",
        ),
        ("/app/entries?to=2026-02-30", "To: is not a real calendar date in the form YYYY-MM-DD: 2026-02-30"),
        ("/app/reports?to=soon", "To: is not a real calendar date in the form YYYY-MM-DD: soon"),
        ("/app/week?week=someday", "Week: is not a real calendar date in the form YYYY-MM-DD: someday"),
        ("/app/week?week=%3Cb%3E", "Week: is not a real calendar date in the form YYYY-MM-DD: &lt;b&gt;"),
    ],
)
def test_a_query_date_that_is_no_date_names_its_field(owner: TestClient, path: str, text: str) -> None:
    """The report's nit 8: the framework's "Validation failed for GET ..." named no field."""
    response = owner.get(path)

    assert response.status_code == 422
    assert text in response.text and "Validation failed" not in response.text


def test_a_method_a_page_does_not_take_is_405_with_allow(owner: TestClient) -> None:
    response = owner.put("/app/week")

    assert response.status_code == 405 and "<h1>Method not allowed</h1>" in response.text
    assert {"GET", "HEAD", "POST"} <= {method.strip() for method in response.headers["allow"].split(",")}


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/app/week", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/app/sign-in", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/app/settings/api", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/app/entries/01900000-0000-7000-8000-000000000000/edit", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/app/entries", {"GET", "HEAD", "OPTIONS"}),
        ("/", {"GET", "HEAD", "OPTIONS"}),
        ("/app/sign-out", {"OPTIONS", "POST"}),
    ],
)
def test_options_on_a_page_lists_every_method_of_its_address(
    owner: TestClient, path: str, methods: set[str]
) -> None:
    """Before, the framework's answer named the methods of one handler of the address only:
    ``OPTIONS /app/week`` said ``Allow: OPTIONS, POST`` while a ``PUT`` there was 405 with
    ``Allow: GET, HEAD, OPTIONS, POST``."""
    options = owner.options(path)
    refused = owner.put(path)

    assert options.status_code == 204
    assert {method.strip() for method in options.headers["allow"].split(",")} == methods
    assert refused.status_code == 405 and refused.headers["allow"] == options.headers["allow"]


@pytest.mark.parametrize("path", ["/app/week", "/app/entries", "/app/sign-in", "/"])
def test_head_on_a_page_answers_what_get_would_without_the_body(owner: TestClient, path: str) -> None:
    got = owner.get(path, follow_redirects=False)
    head = owner.head(path, follow_redirects=False)

    assert head.status_code == got.status_code != 405
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers.get("content-length") == got.headers.get("content-length")
    assert head.headers.get("location") == got.headers.get("location")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("%00", id="a NUL byte"),
        pytest.param("a%00b.js", id="a NUL byte in a name"),
        pytest.param("a" * 300 + ".js", id="a name longer than the system allows"),
        pytest.param("a/" * 2100 + "b.js", id="a path longer than the system allows"),
        pytest.param("web.css/x.js", id="a file's name used as a folder"),
    ],
)
def test_a_static_path_that_can_name_no_file_is_not_found_never_a_server_error(
    browser: TestClient, name: str
) -> None:
    """Before, each was the 500 page and a logged traceback (the file system refused the path:
    ValueError, ENAMETOOLONG, ENOTDIR), for anyone, signed in or not."""
    for method in ("GET", "HEAD"):
        answer = browser.request(method, f"/app/static/{name}")
        assert answer.status_code == 404, (method, answer.text[:200])
    assert "There is no page or file at this address." in browser.get(f"/app/static/{name}").text


def test_the_web_app_and_the_api_read_their_static_files_through_one_file_system(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 404 for a path that can name no file (above; the API's docs assets likewise) was the same
    class twice, ``hours_web.app.StaticFiles`` and ``hours_http.openapi.AssetFiles``: now both apps
    read through ``hours_litestar.LocalFiles``, which neither app owns (they may not import each other)."""
    read: list[str] = []
    info = LocalFiles.info

    async def noted(self: LocalFiles, path: str, **kwargs: object) -> object:
        read.append(str(path))
        return await info(self, path, **kwargs)

    monkeypatch.setattr(LocalFiles, "info", noted)
    with (
        TestClient(create_web_app(world.services), base_url=BASE_URL) as web,
        TestClient(create_app(world.services)) as api,
    ):
        assert web.get("/app/static/web.css").status_code == 200
        assert api.get(f"{DOCS_ASSETS_PATH}/hours-scalar.css").status_code == 200

    assert [Path(path).name for path in read] == ["web.css", "hours-scalar.css"]


def test_head_on_a_static_file_gives_its_length_and_caching(owner: TestClient) -> None:
    url = re.findall(r'src="(/app/static/[^"]+\.js[^"]*)"', owner.get("/app/week").text)[0]
    got, head = owner.get(url), owner.head(url)

    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
    assert head.headers["cache-control"] == got.headers["cache-control"]


def test_head_on_a_page_signed_out_sends_to_sign_in_as_get_does(world: World) -> None:
    with TestClient(create_web_app(world.services), base_url=BASE_URL) as client:
        head = client.head("/app/week", follow_redirects=False)

    assert head.status_code == 303 and head.headers["location"].startswith("/app/sign-in")


def test_a_form_over_the_limit_is_413_saying_the_limit(owner: TestClient) -> None:
    response = owner.post(
        "/app/week/cell",
        content=b"x" * (256 * 1024 + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 413
    assert "The form is larger than 256 KiB, the most a page takes; nothing was saved." in response.text


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP"])
def test_a_compressed_form_is_refused_as_the_api_refuses_one(
    owner: TestClient, world: World, encoding: str
) -> None:
    token = csrf_of(owner.get("/app/settings/projects").text)

    response = owner.post(
        "/app/settings/projects/",
        content=f"csrf={token}&name=gz".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": encoding},
    )

    assert response.status_code == 415 and "sent compressed" in response.text
    assert "gz" not in [p.name for p in world.services.projects.list_projects(world.caller(world.owner))]
    identity = owner.post(
        "/app/settings/projects/",
        content=f"csrf={token}&name=plain".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "identity"},
        follow_redirects=False,
    )
    assert identity.status_code == 303


def test_a_compressed_sign_in_is_refused(browser: TestClient, world: World) -> None:
    form = browser.get("/app/sign-in")
    body = f"csrf={csrf_of(form.text)}&email={world.owner.email}&password={world.owner_password}"

    response = browser.post(
        "/app/sign-in",
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"},
        follow_redirects=False,
    )

    assert response.status_code == 415 and "hours_session" not in browser.cookies


def test_pages_name_an_inline_icon_so_browsers_ask_for_no_favicon(owner: TestClient) -> None:
    for path in ("/app/week", "/app/sign-in", "/app/nowhere"):
        assert '<link rel="icon" href="data:,">' in owner.get(path).text, path
