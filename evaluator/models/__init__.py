"""Model contract (:mod:`.base`), the registry (:mod:`.registry`) and built-in models.

Importing this package imports no network code and no torch.
"""
