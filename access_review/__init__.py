"""access-review: identity governance for school districts."""

__version__ = "0.1.0"

import logging as _logging

# A library stays quiet unless its user configures logging (the `access-review` command does):
# without this, Python's last-resort handler would print warnings to standard error.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
