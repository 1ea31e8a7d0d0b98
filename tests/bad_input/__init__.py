"""The bad-input corpus: its harness and its cases, one module per round or family."""
