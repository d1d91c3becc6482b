"""The web app's static files (vendored, local, cached for a year) and its error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from hours_web.app import STATIC, TEMPLATES
from tests.wheel_support import wheel_names


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

    assert missing.status_code == 404 and "<h1>That did not work</h1>" in missing.text
    assert malformed.status_code == 400 and "<h1>That did not work</h1>" in malformed.text
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
