"""The ``depthprobe`` command's entry point: the console script (``depthprobe.cli:main``),
``python -m depthprobe.cli`` and ``from depthprobe.cli import app, main``.  The app, its error
handling and the commands live in :mod:`depthprobe._cli`.

Under ``python -m`` the working directory Python put first on ``sys.path`` is removed before
anything else is imported (:mod:`depthprobe.safe_path`), so that no module planted there runs.
"""
if __name__ == "__main__":
    from depthprobe.safe_path import drop_working_directory

    drop_working_directory()

from depthprobe._cli import app, main  # noqa: E402  (after the path is made safe)

__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
