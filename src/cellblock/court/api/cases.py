"""cases operations of the court API."""

from __future__ import annotations
