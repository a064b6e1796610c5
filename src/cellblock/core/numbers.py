"""Numbers people quote, per facility and year: KON-INC-2026-0001, KON-REQ-2026-0002 ...

The next number is read from the highest one already stored under the same
prefix, and the row is inserted with it; the number's unique constraint is the
lock.  Two records numbered at the same moment clash on insert, and the loser
reads again and takes the next one, so busy facilities never wait on a
counter row.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length

from cellblock.core.errors import Conflict

ATTEMPTS = 5


def next_number(
    numbered: models.QuerySet[Any], prefix: str, *, field: str = "number", digits: int = 4
) -> str:
    """The number after the highest one of ``numbered`` starting with ``prefix``."""
    last = (
        numbered.filter(**{f"{field}__startswith": prefix})
        # Past 9999 the numbers grow a digit: the longest is the latest.
        .annotate(_number_width=Length(field))
        .order_by("-_number_width", f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    serial = int(str(last)[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{serial:0{digits}d}"


def save_numbered(
    record: models.Model,
    *,
    numbered: models.QuerySet[Any],
    prefix: str,
    taken_message: str,
    taken_code: str,
    field: str = "number",
    digits: int = 4,
) -> None:
    """Insert ``record`` with the next free number under ``prefix``.

    A clash on the number (another record committed it meanwhile) reads again;
    any other constraint that refuses the row is raised as it is.  After
    ``ATTEMPTS`` clashes in a row the caller gets a 409 with ``taken_message``.
    """
    for _attempt in range(ATTEMPTS):
        number = next_number(numbered, prefix, field=field, digits=digits)
        setattr(record, field, number)
        try:
            with transaction.atomic():
                record.save(force_insert=True)
            return
        except IntegrityError:
            record.pk = None
            if not type(record)._default_manager.filter(**{field: number}).exists():
                raise
    raise Conflict(taken_message, code=taken_code)
