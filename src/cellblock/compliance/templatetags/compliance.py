"""Template filters of the compliance pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def minutes(value: int | None) -> str:
    """A duration in minutes as staff say it: "45 min", "3 h 20 min", "12 days 4 h"."""
    if value is None:
        return ""
    total = max(int(value), 0)
    if total < 60:
        return f"{total} min"
    if total < 48 * 60:
        hours, rest = divmod(total, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, rest = divmod(total, 24 * 60)
    hours = rest // 60
    return f"{days} days {hours} h" if hours else f"{days} days"
