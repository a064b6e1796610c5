"""API: days in custody (time out of cell, exercise, contact, solitary)."""

from __future__ import annotations

from ninja import Router

router = Router()
