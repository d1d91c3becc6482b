"""Using hours as a library, as the README's "Using the core library" shows it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.wheel_support import REPOSITORY, wheel_names


def wheel_packages() -> list[str]:
    """The import packages the wheel installs (``hours_core``, ``hours_memory``, ...)."""
    pyproject = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    folders = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return [Path(folder).name for folder in folders]


@pytest.mark.slow
def test_every_package_of_the_wheel_tells_type_checkers_it_is_typed(tmp_path: Path) -> None:
    # Without py.typed, mypy refuses `from hours_memory import InMemoryStore` in a user's code
    # ("module is installed, but missing library stubs or py.typed marker").
    names = wheel_names(tmp_path)
    packages = wheel_packages()
    assert {"hours_core", "hours_memory", "hours_sqlite", "hours_postgres"} <= set(packages)
    assert [package for package in packages if f"{package}/py.typed" not in names] == []
