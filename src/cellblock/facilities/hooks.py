"""Changes to a cell that apps above facilities act on, inside the same transaction.

Facilities sits below housing, so it cannot call it; housing registers here
from its ``AppConfig.ready()`` and rechecks the people in a cell whose
features or service state changed (bars marked compromised, a cell taken out
of service), raising housing alerts in the same transaction.  Registering the
same function twice keeps one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cellblock.accounts.models import User
    from cellblock.facilities.models import Cell


class CellChanged(Protocol):
    def __call__(self, *, actor: User | None, cell: Cell, cause: str) -> object: ...


_CELL_CHANGED: list[Any] = []


def on_cell_changed(fn: CellChanged) -> None:
    key = (fn.__module__, fn.__qualname__)  # type: ignore[attr-defined]
    _CELL_CHANGED[:] = [f for f in _CELL_CHANGED if (f.__module__, f.__qualname__) != key]
    _CELL_CHANGED.append(fn)


def cell_changed(*, actor: User | None, cell: Cell, cause: str) -> None:
    for fn in _CELL_CHANGED:
        fn(actor=actor, cell=cell, cause=cause)
