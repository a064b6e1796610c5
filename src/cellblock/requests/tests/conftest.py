"""Shared fixtures of the request tests: a frozen clock, Kakashi held, a request filing helper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from cellblock.booking.models import Booking
from cellblock.custody.tests.conftest import NOW, clock, hold  # noqa: F401  (shared fixtures)
from cellblock.requests.models import InmateRequest
from cellblock.requests.services import request_file

KAKASHI_BORN = dt.date(1996, 9, 15)


@pytest.fixture
def kakashi(hold: Callable[..., Booking]) -> Booking:  # noqa: F811
    return hold("Hatake", given_name="Kakashi", born=KAKASHI_BORN)


@pytest.fixture
def file_request(officer: Any, kakashi: Booking) -> Callable[..., InmateRequest]:
    """``file_request(**changes)``: the officer files for Kakashi, to the commander by default."""

    def make(**changes: Any) -> InmateRequest:
        values: dict[str, Any] = {
            "actor": officer,
            "booking": kakashi,
            "kind": "request",
            "subject": "Asks to speak with the Hokage",
            "text": "I want to speak with Lady Tsunade about my sentence.",
            "addressee_role": "commander",
        }
        return request_file(**{**values, **changes})

    return make
