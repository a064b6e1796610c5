"""The court API (``/api/court``): cases, hearings, verdicts, sentences, holds, release dates."""

from ninja import Router

router = Router()

# The operations register themselves on ``router`` when their modules are imported.
from cellblock.court.api import (  # noqa: E402,F401
    cases,
    config,
    hearings,
    holds,
    release_dates,
    verdicts,
)
