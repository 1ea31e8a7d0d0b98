"""A user's module that ends the process when imported (``sys.exit(0)``), for the ``code`` cases of
the bad-input corpus: it must be one error line, exit 2, not exit 0 with nothing written."""
import sys

sys.exit(0)


def predict(images):  # never reached
    return images
