"""Connectors: the only code that talks to a directory. Each package implements the core's contract
(``access_review/connector.py``); ``registry`` is the one place that knows every connector type."""

import logging as _logging

# A library stays quiet unless its user configures logging (the `access-review` command does):
# without this, Python's last-resort handler would print warnings to standard error.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
