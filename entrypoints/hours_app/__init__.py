"""The entrypoints: settings, the composition root, the CLI and the ASGI factory."""
