"""The release API (``/api/releases``): releases, checklists, returns, transfers, the board."""

from ninja import Router

router = Router()

from cellblock.release.api import board, releases  # noqa: E402,F401
