"""The interactive docs need nothing but the server: every script and style comes from hours itself.

``/schema`` (Scalar) and ``/schema/swagger`` (Swagger UI) name only assets under
``/schema/assets/``, which the server serves from the vendored files (``hours_http/docs_assets``)
with a long cache lifetime; the wheel ships them. If Chromium and Playwright are installed, each
page is also rendered headless with every request off the server refused, and must show the
API's operations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_http import create_app
from hours_http.openapi import DOCS_ASSETS, DOCS_ASSETS_PATH, SCALAR_VERSION, SWAGGER_UI_VERSION
from hours_memory import InMemoryStore
from tests.browser_support import CHROMIUM_ARGS, require_chromium, require_playwright
from tests.server_support import Server, served
from tests.wheel_support import wheel_names
from tests.world import make_world

PAGES = ["/schema", "/schema/swagger"]
ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
EXTERNAL = re.compile(r"""\b(?:https?:)?//[A-Za-z0-9.-]+""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Any]]:
    with TestClient(create_app(make_world(InMemoryStore().unit_of_work).services)) as test_client:
        yield test_client


def assets_of(page: str) -> list[str]:
    return [url for url in ASSET_URL.findall(page) if not url.startswith("data:")]


@pytest.mark.parametrize("path", PAGES)
def test_a_docs_page_names_only_assets_of_the_server(client: TestClient[Any], path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = assets_of(page.text)
    assert urls, "the page names no script or style"
    assert all(url.startswith(f"{DOCS_ASSETS_PATH}/") for url in urls), urls
    assert (
        EXTERNAL.findall(page.text.split("spec:")[0]) == []
    )  # nothing off the server (before Swagger's inline spec)


@pytest.mark.parametrize("path", PAGES)
def test_every_asset_of_a_docs_page_is_served_with_its_type_and_a_long_cache_life(
    client: TestClient[Any], path: str
) -> None:
    for url in assets_of(client.get(path).text):
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert CONTENT_TYPES[Path(url).suffix] in asset.headers["content-type"], url
        assert asset.headers["cache-control"] == "max-age=31536000, public, immutable"
        assert asset.content == (DOCS_ASSETS / url.removeprefix(f"{DOCS_ASSETS_PATH}/")).read_bytes()


def test_the_pages_load_the_pinned_versions(client: TestClient[Any]) -> None:
    assert f"/@scalar/api-reference@{SCALAR_VERSION}/standalone.js" in client.get("/schema").text
    assert f"/swagger-ui-dist@{SWAGGER_UI_VERSION}/swagger-ui-bundle.js" in client.get("/schema/swagger").text


def test_scalar_is_told_not_to_reach_the_internet(client: TestClient[Any]) -> None:
    page = client.get("/schema").text
    for option in ('"withDefaultFonts":false', '"telemetry":false', '"agent":{"disabled":true}'):
        assert option in page


def test_each_vendored_package_has_its_license_and_is_listed_with_its_provenance() -> None:
    readme = (DOCS_ASSETS / "README.md").read_text()
    for folder in (f"@scalar/api-reference@{SCALAR_VERSION}", f"swagger-ui-dist@{SWAGGER_UI_VERSION}"):
        assert (DOCS_ASSETS / folder / "LICENSE").is_file(), folder
        assert f"`{folder}/`" in readme and "sha512-" in readme


def test_unknown_assets_and_paths_outside_the_folder_are_not_found(client: TestClient[Any]) -> None:
    for url in (
        f"{DOCS_ASSETS_PATH}/nothing.js",
        f"{DOCS_ASSETS_PATH}/../openapi.py",
        f"{DOCS_ASSETS_PATH}/",
    ):
        assert client.get(url).status_code == 404


UNNAMEABLE_FILES = [
    pytest.param("%00", id="a NUL byte"),
    pytest.param("a%00b.js", id="a NUL byte in a name"),
    pytest.param("a" * 300 + ".js", id="a name longer than the system allows"),
    pytest.param("a/" * 2100 + "b.js", id="a path longer than the system allows"),
    pytest.param("hours-scalar.css/x.js", id="a file's name used as a folder"),
]
"""Asset paths that can name no file: the file system refuses them (ValueError, ENAMETOOLONG, ENOTDIR)
rather than finding nothing."""


@pytest.mark.parametrize("name", UNNAMEABLE_FILES)
def test_an_asset_path_that_can_name_no_file_is_not_found_never_a_server_error(
    client: TestClient[Any], name: str
) -> None:
    """Before, each was 500 internal_error and a logged traceback, for a client without a token."""
    for method in ("GET", "HEAD"):
        answer = client.request(method, f"{DOCS_ASSETS_PATH}/{name}")
        assert answer.status_code == 404, (method, answer.text[:200])
    assert client.get(f"{DOCS_ASSETS_PATH}/{name}").json()["error"]["code"] == "not_found"


@pytest.mark.slow
def test_the_wheel_ships_the_vendored_assets(tmp_path: Path) -> None:
    names = wheel_names(tmp_path)
    for file in DOCS_ASSETS.rglob("*"):
        if file.is_file():
            assert f"hours_http/docs_assets/{file.relative_to(DOCS_ASSETS).as_posix()}" in names


# -- rendered in a browser ------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("docs")) as running:
        yield running


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/schema", ("Health check", "Time entries", "Projects and tasks")),
        ("/schema/swagger", ("Create a time entry", "Start a timer")),
    ],
)
def test_a_docs_page_renders_the_operations_with_every_request_off_the_server_refused(
    server: Server, path: str, shown: tuple[str, ...]
) -> None:
    chromium = require_chromium()
    playwright = require_playwright()
    off_server: list[str] = []
    with playwright.sync_playwright() as browsers:
        browser = browsers.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()

            def only_the_server(route: Any) -> None:
                if route.request.url.startswith(server.base_url) or route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    off_server.append(route.request.url)
                    route.abort()

            page.route("**/*", only_the_server)
            page.goto(server.base_url + path)
            for text in shown:
                page.get_by_text(text, exact=True).first.wait_for(timeout=60_000)
        finally:
            browser.close()
    assert off_server == []
