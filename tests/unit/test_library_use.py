"""Using hours as a library, as the README's "Using the core library" shows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


def python_samples(markdown: Path, section: str) -> list[str]:
    """The ```python blocks of one ``## section`` of a Markdown page, as written."""
    text = markdown.read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start : end if end != -1 else None], re.DOTALL)


def with_stated_results_checked(sample: str) -> str:
    """``sample`` with each top-level ``expression  # value`` line turned into an assertion."""
    lines = []
    for line in sample.splitlines():
        stated = re.fullmatch(r"(\S.*?)  # (.+)", line)
        if stated is None:
            lines.append(line)
        else:
            expression, value = stated.groups()
            lines.append(f"assert ({expression}) == {value}, repr({expression})")
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("page", "section"),
    [("README.md", "Using the core library"), ("docs/duration.md", "API")],
)
def test_the_library_samples_run_as_written_in_a_fresh_interpreter(page: str, section: str) -> None:
    samples = python_samples(REPOSITORY / page, section)
    assert samples
    source_folders = [REPOSITORY, REPOSITORY / "adapters", REPOSITORY / "entrypoints"]
    for sample in samples:
        ran = subprocess.run(
            [sys.executable, "-c", with_stated_results_checked(sample)],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(map(str, source_folders))},
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode == 0, f"{page}, this sample failed:\n{sample}\n{ran.stderr}"
