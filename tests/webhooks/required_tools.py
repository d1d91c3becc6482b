"""Outside programs some webhook tests need (openssl, node, npm): skipped without them, failed under CI."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["require_tool"]


def require_tool(name: str, purpose: str) -> str:
    """The path of program ``name``; skip the test without it, or fail it under ``CI=true``."""
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"`{name}` is not on PATH; it is needed {purpose}."
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} CI=true: these tests must run, not skip.", pytrace=False)
    pytest.skip(message)
