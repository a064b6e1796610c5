"""Ages as the case files give them, whatever the day the demo loads."""

from __future__ import annotations

import datetime as dt

from cellblock.core import clock


def born_aged(age: int, days_since_birthday: int) -> dt.date:
    """A date of birth that makes someone ``age`` today, their birthday that many days ago.

    A birthday that would fall on 29 February moves to the 28th, so the year
    arithmetic never lands on a day that does not exist.
    """
    birthday = clock.now().date() - dt.timedelta(days=days_since_birthday)
    if (birthday.month, birthday.day) == (2, 29):
        birthday -= dt.timedelta(days=1)
    return birthday.replace(year=birthday.year - age)
