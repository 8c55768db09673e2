"""Connectors: the only code that talks to a directory. Each package implements the core's contract
(``access_review/connector.py``); ``registry`` is the one place that knows every connector type."""
