"""Moments in a booking's life that later apps act on, inside the same transaction.

Booking sits below classification, housing and the rest, so it cannot call
them; instead they register here from their ``AppConfig.ready()`` and booking
calls every registered function at the moment itself, in the caller's
transaction: if one refuses, the booking or charge is not written either.
Registering the same function twice keeps one (``ready()`` may run twice).

- ``on_booking_opened(fn)``: ``fn(actor=..., booking=...)`` once the booking,
  its checklist and its intake charges exist (classification derives the
  juvenile flag).
- ``on_charge_added(fn)``: ``fn(actor=..., booking=..., charge=...)`` for every
  charge, at intake or later (classification keeps co-defendants apart and
  makes a reassessment due).
- ``on_booking_released(fn)``: ``fn(actor=..., booking=...)`` once the booking is
  released (housing gives up the bed, so the count and the board change at once).
- ``on_date_of_birth_corrected(fn)``: ``fn(actor=..., booking=...)`` after the
  person's date of birth was corrected (classification sets, moves or lifts
  the juvenile flag).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cellblock.accounts.models import User
    from cellblock.booking.models import Booking, Charge


class BookingOpened(Protocol):
    def __call__(self, *, actor: User | None, booking: Booking) -> None: ...


class BookingReleased(Protocol):
    # What the function answers is ignored (housing answers the bed it freed).
    def __call__(self, *, actor: User | None, booking: Booking) -> object: ...


class ChargeAdded(Protocol):
    def __call__(self, *, actor: User | None, booking: Booking, charge: Charge) -> None: ...


_OPENED: list[BookingOpened] = []
_BIRTH_CORRECTED: list[BookingOpened] = []
_RELEASED: list[BookingReleased] = []
_CHARGE_ADDED: list[ChargeAdded] = []


def _add(registry: list[Any], fn: Any) -> None:
    key = (getattr(fn, "__module__", ""), getattr(fn, "__qualname__", repr(fn)))
    registry[:] = [f for f in registry if (f.__module__, f.__qualname__) != key]
    registry.append(fn)


def on_booking_opened(fn: BookingOpened) -> None:
    _add(_OPENED, fn)


def on_booking_released(fn: BookingReleased) -> None:
    _add(_RELEASED, fn)


def booking_released(*, actor: User | None, booking: Booking) -> None:
    for fn in _RELEASED:
        fn(actor=actor, booking=booking)


def on_date_of_birth_corrected(fn: BookingOpened) -> None:
    _add(_BIRTH_CORRECTED, fn)


def date_of_birth_corrected(*, actor: User | None, booking: Booking) -> None:
    for fn in _BIRTH_CORRECTED:
        fn(actor=actor, booking=booking)


def on_charge_added(fn: ChargeAdded) -> None:
    _add(_CHARGE_ADDED, fn)


def booking_opened(*, actor: User | None, booking: Booking) -> None:
    for fn in _OPENED:
        fn(actor=actor, booking=booking)


def charge_added(*, actor: User | None, booking: Booking, charge: Charge) -> None:
    for fn in _CHARGE_ADDED:
        fn(actor=actor, booking=booking, charge=charge)
