"""Fixtures of the court tests, from ``court_support`` (a module may define its own instead)."""

from cellblock.court.tests.court_support import (  # noqa: F401  (fixtures)
    clock,
    court,
    file_case,
    held,
    person,
)
