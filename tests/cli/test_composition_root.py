"""The composition root: ``hours_app.asgi.create_api`` wires the app from the environment."""

from __future__ import annotations

import pathlib

import pytest
from litestar.testing import TestClient

from hours_app.asgi import create_api
from hours_app.composition import build, open_store
from hours_app.settings import DatabaseUrl, Settings
from hours_core.model import Plan
from hours_http.responses import READS_IN_THREAD


def test_a_sqlite_store_has_local_reads(tmp_path: pathlib.Path) -> None:
    url = DatabaseUrl.parse(f"sqlite:///{tmp_path / 'hours.db'}")
    opened = open_store(url, Settings(database=url))
    try:
        assert opened.kind == "sqlite" and opened.reads_are_local
    finally:
        opened.close()


def test_the_api_on_sqlite_reads_on_the_event_loop_and_serves_a_bootstrapped_token(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'hours.db'}"
    application = build(Settings(database=DatabaseUrl.parse(url)))
    try:
        demo = application.services.admin.bootstrap(
            org_name="Acme", plan=Plan.SOLO, email="ada@acme.test", env="live"
        )
    finally:
        application.close()
    monkeypatch.setenv("HOURS_DATABASE_URL", url)

    app = create_api()

    assert app.state[READS_IN_THREAD] is False
    with TestClient(app) as client:
        response = client.get("/me", headers={"Authorization": f"Bearer {demo.token.plaintext}"})
    assert response.status_code == 200
    assert response.json()["data"]["org"]["name"] == "Acme"
