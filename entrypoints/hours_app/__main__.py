"""``python -m hours_app``: the same command line as the ``hours`` script."""

from hours_app.launch import main

if __name__ == "__main__":
    raise SystemExit(main())
