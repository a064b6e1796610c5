"""board operations of the release API."""

from __future__ import annotations
