"""Build the project's wheel once per test that needs it, and list what it ships."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

__all__ = ["REPOSITORY", "wheel_names"]

REPOSITORY = Path(__file__).resolve().parents[1]


def wheel_names(folder: Path) -> set[str]:
    """The names of the files in a wheel of the repository built into ``folder``."""
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(folder),
            str(REPOSITORY),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = folder.glob("hours-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())
