"""What the two Litestar apps of hours share: the JSON API (``hours_http``) and the web app
(``hours_web``) may not import each other (the adapters are independent: the import-linter
contracts in ``pyproject.toml``), so a piece both need lives here. It imports Litestar and the
standard library only."""

from hours_litestar.files import LocalFiles

__all__ = ["LocalFiles"]
