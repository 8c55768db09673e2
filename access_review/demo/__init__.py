"""The demo district: a seeded, offline district to try access-review on without credentials."""

from .generator import DEFAULT_AS_OF, SIZES, DemoDistrict, generate_district
from .writer import write_demo

__all__ = ["DEFAULT_AS_OF", "SIZES", "DemoDistrict", "generate_district", "write_demo"]
