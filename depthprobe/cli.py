"""The ``depthprobe`` command's entry point: the console script (``depthprobe.cli:main``),
``python -m depthprobe.cli`` and ``from depthprobe.cli import app, main``.  The app, its error
handling and the commands live in :mod:`depthprobe._cli`."""
from depthprobe._cli import app, main

__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
