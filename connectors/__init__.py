"""Connectors: the only code that talks to a directory (see connectors/base.py)."""
