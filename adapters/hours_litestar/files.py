"""The local file system both apps serve their static files from (:class:`LocalFiles`)."""

from __future__ import annotations

from typing import Any

from litestar.file_system import BaseLocalFileSystem
from litestar.types import FileInfo, PathType

__all__ = ["LocalFiles"]


class LocalFiles(BaseLocalFileSystem):
    """The local file system of an app's static files, where a path that can name no file is a
    missing file (the app's 404: the API's ``not_found`` under ``/schema/assets/``, the web app's
    page under ``/app/static/``), as an unknown file is. The framework's own reading took the file
    system's refusal of such a path for a server error: a NUL byte (``ValueError``), a name or path
    longer than the system allows (``ENAMETOOLONG``), a file's name used as a folder (``ENOTDIR``)
    were a 500 with a logged traceback, for anyone, with a token or a session or not. A file it may
    not read (``PermissionError``) stays the framework's."""

    async def info(self, path: PathType, **kwargs: Any) -> FileInfo:
        """The file's information, or ``FileNotFoundError`` for a path that can name no file."""
        try:
            return await super().info(path, **kwargs)
        except PermissionError:
            raise
        except (OSError, ValueError) as error:
            raise FileNotFoundError(f"no file can have this path: {error}") from error
