"""The web app of hours: server-rendered pages with htmx, calling the same use cases as the API."""

from hours_web.app import create_web_app
from hours_web.session import APP_PATH
from hours_web.throttle import LoginThrottle

__all__ = ["APP_PATH", "LoginThrottle", "create_web_app"]
