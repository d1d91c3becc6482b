"""The composition root: settings, bootstrap, CLI and ASGI factory."""
