"""access-review: identity governance for school districts."""

__version__ = "0.1.0"
