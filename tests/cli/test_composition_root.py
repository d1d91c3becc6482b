"""The composition root: ``hours_app.asgi.create_api`` wires the app from the environment."""

from __future__ import annotations

import logging
import pathlib
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient

from hours_app.asgi import create_api
from hours_app.composition import build, open_store, prepare_installation
from hours_app.settings import DatabaseUrl, Settings
from hours_core.errors import StoreFull
from hours_core.installation import CURSOR_SECRET
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


def test_a_server_started_on_a_full_disk_without_the_cursor_key_warns_and_starts(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    """hours serve and hours migrate store the key that signs cursors; a full disk then is one
    warning that says what it means, not a failed start: the first page that needs the key stores it."""
    settings = Settings(database=DatabaseUrl.parse(f"sqlite:///{tmp_path / 'hours.db'}"))
    store = open_store(settings.database, settings)

    def full_disk(*, read_only: bool = False) -> Any:
        if not read_only:
            raise StoreFull()
        return store.unit_of_work(read_only=True)

    try:
        with caplog.at_level(logging.WARNING, logger="hours"):
            prepare_installation(attrs.evolve(store, unit_of_work=full_disk))
        with store.unit_of_work(read_only=True) as uow:
            assert uow.installation.get(CURSOR_SECRET) is None
        prepare_installation(store)
        with store.unit_of_work(read_only=True) as uow:
            assert uow.installation.get(CURSOR_SECRET) is not None
    finally:
        store.close()
    assert [record.getMessage() for record in caplog.records] == [
        "cannot store the key that signs list cursors yet (the database's disk is full); until it is "
        "stored, a list's first page that has a next page is answered 503 store_full, and the first such "
        "page stores it"
    ]
