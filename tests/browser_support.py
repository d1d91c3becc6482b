"""Where the browser tests find Chromium, and what they do when it is not there.

The browser is Debian's Chromium (``apt-get install chromium``; ``.ci/run`` installs it), driven by
Playwright for Python with ``executable_path``: Playwright's own browser download is not reachable
from these machines. Without Chromium or Playwright a browser test skips with the reason; under
``CI=true`` it fails instead, so that a CI run cannot pass without them.
"""

from __future__ import annotations

import os
import shutil
from types import ModuleType

import pytest

__all__ = ["CHROMIUM_ARGS", "require_chromium", "require_playwright"]

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Headless, as root, and quiet on a machine without internet (no background connections)."""


def _missing(what: str) -> None:
    message = f"{what} is not installed; the browser tests need it (bash .ci/run installs it)."
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} CI=true: browser tests must run, not skip.", pytrace=False)
    pytest.skip(message)


def require_chromium() -> str:
    """The path of the Chromium executable; skip the test without one (fail it under ``CI=true``)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _missing("Chromium (apt-get install chromium)")
    assert path is not None
    return path


def require_playwright() -> ModuleType:
    """``playwright.sync_api``; skip the test without it (fail it under ``CI=true``)."""
    try:
        import playwright.sync_api as sync_api
    except ImportError:
        _missing("Playwright for Python (pip install playwright)")
        raise
    return sync_api
