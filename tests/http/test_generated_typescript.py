"""Generated clients get the right types: openapi-typescript, run on the served OpenAPI document,
and ``hours schema typescript`` both type a create body so that ``tsc`` accepts a correct one and
refuses one that leaves out a required member.

The tools are npm packages, installed once into ``.venv/node-tools`` (ignored by git). Without npm
the test skips, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_app.cli_schema import TYPESCRIPT_NAMESPACE, typescript_definitions
from hours_http import create_app
from hours_memory import InMemoryStore
from tests.world import make_world

REPO = pathlib.Path(__file__).resolve().parents[2]
TOOLS = REPO / ".venv" / "node-tools"
PACKAGES = ("openapi-typescript@7.13.0", "typescript@5.9.3")

CORRECT = '{projectId: "0190c2d4-5a6b-7c8d-9e0f-112233445566", entryDate: "2026-03-02", durationSeconds: 5}'
CORRECT_WITH_TEXT = (
    '{projectId: "0190c2d4-5a6b-7c8d-9e0f-112233445566", entryDate: "2026-03-02", duration: "1h"}'
)
WITHOUT_PROJECT_AND_DATE = "{durationSeconds: 5}"
WITHOUT_DURATION = '{projectId: "0190c2d4-5a6b-7c8d-9e0f-112233445566", entryDate: "2026-03-02"}'


def _tools() -> pathlib.Path:
    """The ``node_modules/.bin`` with ``openapi-typescript`` and ``tsc``, installed if needed."""
    bin_dir = TOOLS / "node_modules" / ".bin"
    if (bin_dir / "openapi-typescript").exists() and (bin_dir / "tsc").exists():
        return bin_dir
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI") == "true":
            pytest.fail("npm is needed to check the generated TypeScript clients (install Node.js and npm)")
        pytest.skip("npm is not installed")
    TOOLS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--silent", *PACKAGES],
        check=True,
        capture_output=True,
    )
    return bin_dir


@pytest.fixture(scope="module")
def tools() -> pathlib.Path:
    return _tools()


def _compiles(tools: pathlib.Path, folder: pathlib.Path, source: str) -> tuple[bool, str]:
    (folder / "check.ts").write_text(source)
    result = subprocess.run(
        [str(tools / "tsc"), "--noEmit", "--strict", "--target", "es2020", "check.ts"],
        check=False,
        cwd=folder,
        capture_output=True,
        text=True,
    )
    return result.returncode == 0, result.stdout + result.stderr


def _assert_the_create_body_is_typed_right(tools: pathlib.Path, folder: pathlib.Path, header: str) -> None:
    """``header`` defines ``Body``: correct bodies compile, bodies without a required member do not."""
    for body in (CORRECT, CORRECT_WITH_TEXT):
        ok, output = _compiles(tools, folder, f"{header}const body: Body = {body};\n")
        assert ok, output
    for body in (WITHOUT_PROJECT_AND_DATE, WITHOUT_DURATION):
        ok, _ = _compiles(tools, folder, f"{header}const body: Body = {body};\n")
        assert not ok, f"{body} compiled"


@pytest.fixture
def served_document(tmp_path: pathlib.Path) -> pathlib.Path:
    """The document the server serves at ``/schema/openapi.json``."""
    world = make_world(InMemoryStore().unit_of_work)
    with TestClient(create_app(world.services)) as client:
        document: dict[str, Any] = client.get("/schema/openapi.json").json()
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    return path


def test_openapi_typescript_types_the_create_body_with_every_required_member(
    tools: pathlib.Path, served_document: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    subprocess.run(
        [str(tools / "openapi-typescript"), str(served_document), "--output", str(tmp_path / "api.ts")],
        check=True,
        capture_output=True,
    )
    header = (
        'import type { paths } from "./api";\n'
        'type Body = paths["/time-entries"]["post"]["requestBody"] extends '
        '{ content: { "application/json": infer B } } | undefined ? B : never;\n'
    )
    _assert_the_create_body_is_typed_right(tools, tmp_path, header)


def test_hours_schema_typescript_agrees(tools: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (tmp_path / "api.ts").write_text(typescript_definitions())
    header = (
        f'import {{ {TYPESCRIPT_NAMESPACE} }} from "./api";\n'
        f"type Body = {TYPESCRIPT_NAMESPACE}.TimeEntriesCreateTimeEntry.RequestBody;\n"
    )
    _assert_the_create_body_is_typed_right(tools, tmp_path, header)
